// JWTKeyLoader: turns `identity.jwt` into the verification key of each accepted algorithm, once.

import Crypto
import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the HMAC secret or the PEM public key named by a `JWTConfig` and builds jwt-kit's
/// algorithms for it, keyed by their JOSE `alg` name.
///
/// This is the only place that awaits jwt-kit's `JWTKeyCollection` actor; the algorithms it hands
/// out are plain `Sendable` values that verify synchronously on an event loop.
enum JWTKeyLoader {
    /// The accepted algorithms and their keys. An `alg` absent from the result is refused, which is
    /// what stops algorithm confusion: an HMAC secret never verifies an RS/ES token and vice versa.
    static func algorithms(
        for config: JWTConfig,
        environment: (String) -> String?
    ) async throws(UserIdentitySetupError) -> [String: any JWTAlgorithm] {
        switch (config.secretEnv, config.publicKeyFile) {
        case (let variable?, nil):
            return try await hmacAlgorithms(secret: try secret(in: variable, environment: environment))
        case (nil, let path?):
            return try await publicKeyAlgorithms(pem: try pemText(at: path), path: path)
        case (.some, .some):
            throw UserIdentitySetupError(
                path: "identity.jwt", message: "use either secret_env (HMAC) or public_key_file (RSA/EC), not both")
        case (nil, nil):
            throw UserIdentitySetupError(
                path: "identity.jwt", message: "needs secret_env (HMAC secret) or public_key_file (RSA/EC public key)")
        }
    }

    // MARK: HMAC

    /// RFC 7518 §3.2: an HMAC key MUST be at least as long as the hash output. jwt-kit asserts
    /// the same when a key is added, so shorter keys are kept away from it rather than crashing it.
    private static let hmacVariants: [(name: String, digest: DigestAlgorithm, minimumBytes: Int)] = [
        ("HS256", .sha256, 32),
        ("HS384", .sha384, 48),
        ("HS512", .sha512, 64),
    ]

    private static func secret(
        in variable: String,
        environment: (String) -> String?
    ) throws(UserIdentitySetupError) -> [UInt8] {
        let path = "identity.jwt.secret_env"
        guard let value = environment(variable) else {
            throw UserIdentitySetupError(path: path, message: "environment variable \(variable) is not set")
        }
        let bytes = Array(value.utf8)
        let minimum = hmacVariants[0].minimumBytes
        guard bytes.count >= minimum else {
            throw UserIdentitySetupError(
                path: path,
                message: "the secret in \(variable) is \(bytes.count) bytes; HS256 needs at least \(minimum) (RFC 7518 §3.2)"
            )
        }
        return bytes
    }

    /// Every HS variant the secret is long enough for: issuers pick the variant, the secret is shared.
    private static func hmacAlgorithms(secret: [UInt8]) async throws(UserIdentitySetupError) -> [String: any JWTAlgorithm] {
        let key = HMACKey(from: secret)
        var algorithms: [String: any JWTAlgorithm] = [:]
        for variant in hmacVariants where secret.count >= variant.minimumBytes {
            algorithms[variant.name] = try await algorithm { _ = await $0.add(hmac: key, digestAlgorithm: variant.digest) }
        }
        return algorithms
    }

    // MARK: Public keys

    private static let keyFilePath = "identity.jwt.public_key_file"

    private static func pemText(at path: String) throws(UserIdentitySetupError) -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw UserIdentitySetupError(path: keyFilePath, message: "cannot read \(path): \(readFailure(error))")
        }
        // A signing key here would work, and would put it on every proxy host: refuse it outright.
        guard !text.contains("PRIVATE KEY") else {
            throw UserIdentitySetupError(
                path: keyFilePath, message: "\(path) holds a private key; give Gatehouse only the public key")
        }
        return text
    }

    /// The operating system's words for why a read failed ("No such file or directory"), not
    /// Foundation's error dump.
    private static func readFailure(_ error: any Error) -> String {
        guard let cocoa = error as? CocoaError else { return String(describing: error) }
        if let posix = cocoa.underlying as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        return cocoa.code == .fileReadInapplicableStringEncoding ? "not UTF-8 text" : String(describing: error)
    }

    private static func publicKeyAlgorithms(pem: String, path: String) async throws(UserIdentitySetupError) -> [String: any JWTAlgorithm] {
        let isCertificate = pem.contains("BEGIN CERTIFICATE")
        if let rsa = try? isCertificate ? Insecure.RSA.PublicKey(certificatePEM: pem) : Insecure.RSA.PublicKey(pem: pem) {
            var algorithms: [String: any JWTAlgorithm] = [:]
            for (name, digest) in [("RS256", DigestAlgorithm.sha256), ("RS384", .sha384), ("RS512", .sha512)] {
                algorithms[name] = try await algorithm { _ = await $0.add(rsa: rsa, digestAlgorithm: digest) }
            }
            return algorithms
        }
        // An EC key fixes its algorithm: the curve decides the hash (RFC 7518 §3.4).
        if let key = try? ecdsaKey(pem, curve: P256.self, isCertificate: isCertificate) {
            return try await ecdsaAlgorithm(key)
        }
        if let key = try? ecdsaKey(pem, curve: P384.self, isCertificate: isCertificate) {
            return try await ecdsaAlgorithm(key)
        }
        if let key = try? ecdsaKey(pem, curve: P521.self, isCertificate: isCertificate) {
            return try await ecdsaAlgorithm(key)
        }
        throw UserIdentitySetupError(
            path: keyFilePath,
            message: "\(path) holds no usable public key: expected a PEM RSA key of 2048 bits or more (RS256/384/512) or an EC P-256, P-384 or P-521 key (ES256/384/512)"
        )
    }

    private static func ecdsaKey<Curve: ECDSACurveType>(
        _ pem: String, curve: Curve.Type, isCertificate: Bool
    ) throws -> ECDSA.PublicKey<Curve> {
        isCertificate ? try ECDSA.PublicKey<Curve>(certificate: pem) : try ECDSA.PublicKey<Curve>(pem: pem)
    }

    private static func ecdsaAlgorithm<Curve: ECDSACurveType>(
        _ key: ECDSA.PublicKey<Curve>
    ) async throws(UserIdentitySetupError) -> [String: any JWTAlgorithm] {
        let ecdsa = try await algorithm { _ = await $0.add(ecdsa: key) }
        return [ecdsa.name: ecdsa]
    }

    /// The algorithm of a fresh collection holding the one key `addKey` puts in it. Asking the
    /// collection (rather than building signers) keeps jwt-kit's own key checks in the path.
    private static func algorithm(
        _ addKey: (JWTKeyCollection) async -> Void
    ) async throws(UserIdentitySetupError) -> any JWTAlgorithm {
        let keys = JWTKeyCollection()
        await addKey(keys)
        do {
            return try await keys.getKey()
        } catch {
            throw UserIdentitySetupError(path: "identity.jwt", message: "jwt-kit refused the key: \(error)")
        }
    }
}
