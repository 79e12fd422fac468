// JWTVerificationTests: Bearer JWTs through UserIdentityResolver — signatures, algorithms, time, claims.

import Crypto
import CryptoExtras
import Foundation
import NIOHTTP1
import Testing
@testable import GatehouseCore

/// Hand-built compact JWTs, so tests control every byte (bad alg, bad base64, exact numbers).
enum TestJWT {
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func make(header: String, payload: String, sign: ([UInt8]) throws -> [UInt8]) rethrows -> String {
        let input = base64URL(header.utf8) + "." + base64URL(payload.utf8)
        return input + "." + base64URL(try sign(Array(input.utf8)))
    }

    static func hs256(_ payload: String, secret: String = JWTVerificationTests.secret, alg: String = "HS256") -> String {
        make(header: #"{"alg":"\#(alg)","typ":"JWT"}"#, payload: payload) { input in
            hmac(input, secret: Array(secret.utf8), alg: alg)
        }
    }

    static func hmac(_ input: [UInt8], secret: [UInt8], alg: String) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        switch alg {
        case "HS384": return Array(HMAC<SHA384>.authenticationCode(for: input, using: key))
        case "HS512": return Array(HMAC<SHA512>.authenticationCode(for: input, using: key))
        default: return Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
        }
    }

    /// Writes `text` to a fresh temporary file and returns its path.
    static func temporaryFile(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-jwt-\(UUID().uuidString).pem")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}

@Suite struct JWTVerificationTests {
    static let secret = "0123456789abcdef0123456789abcdef"  // 32 bytes: HS256 only
    static let longSecret = String(repeating: "s3cr3t-", count: 10)  // 70 bytes: HS256/384/512
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func resolver(secret: String = secret, claim: String = "sub", leeway: Duration = .seconds(30)) async throws -> UserIdentityResolver {
        var jwt = JWTConfig(secretEnv: "GATEHOUSE_JWT_SECRET")
        jwt.claim = claim
        jwt.leeway = leeway
        return try await resolver(jwt: jwt, environment: ["GATEHOUSE_JWT_SECRET": secret])
    }

    static func resolver(jwt: JWTConfig, environment: [String: String] = [:]) async throws -> UserIdentityResolver {
        var config = IdentityConfig()
        config.jwt = jwt
        return try await UserIdentityResolver.make(config: config, environment: { environment[$0] })
    }

    static func resolve(_ resolver: UserIdentityResolver, token: String) -> Result<UserIdentity?, GatehouseError> {
        resolver.resolve(headers: HTTPHeaders([("Authorization", "Bearer \(token)")]), peerIsTrusted: false, now: now)
    }

    /// The 401 message, or a failure when the token was not refused with 401.
    static func refusal(_ resolver: UserIdentityResolver, token: String) throws -> String {
        switch resolve(resolver, token: token) {
        case .success(let identity):
            Issue.record("expected 401, got \(String(describing: identity))")
            return ""
        case .failure(let error):
            #expect(error.kind == .unauthenticated)
            #expect(error.status == 401)
            #expect(!error.message.contains(token), "the message must not echo the token")
            return error.message
        }
    }

    static func user(_ resolver: UserIdentityResolver, token: String) throws -> UserIdentity? {
        try resolve(resolver, token: token).get()
    }

    // MARK: HMAC

    @Test func validHS256NamesTheUserByTheSubClaim() async throws {
        let resolver = try await Self.resolver()
        let token = TestJWT.hs256(#"{"sub":"alice","exp":1700000100}"#)
        #expect(try Self.user(resolver, token: token) == UserIdentity(id: "alice", source: .jwt))
    }

    @Test func configuredClaimIsUsedAndNumbersKeepTheirDigits() async throws {
        let resolver = try await Self.resolver(claim: "uid")
        #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"sub":"alice","uid":"u-7"}"#))?.id == "u-7")
        #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"uid":9007199254740993}"#))?.id == "9007199254740993")
    }

    @Test func missingOrUnusableClaimIsRefused() async throws {
        let resolver = try await Self.resolver()
        for payload in [#"{"name":"alice"}"#, #"{"sub":""}"#, #"{"sub":null}"#, #"{"sub":["a"]}"#] {
            #expect(try Self.refusal(resolver, token: TestJWT.hs256(payload)) == #"JWT has no usable "sub" claim"#)
        }
    }

    @Test(arguments: ["HS384", "HS512"])
    func longSecretAcceptsEveryHSVariant(alg: String) async throws {
        let resolver = try await Self.resolver(secret: Self.longSecret)
        let token = TestJWT.hs256(#"{"sub":"bob"}"#, secret: Self.longSecret, alg: alg)
        #expect(try Self.user(resolver, token: token)?.id == "bob")
    }

    @Test func secretShorterThanTheHashIsNotUsedForThatHash() async throws {
        // RFC 7518 §3.2: a 32-byte secret is too short for HS512, so HS512 tokens are refused.
        let resolver = try await Self.resolver()
        let token = TestJWT.hs256(#"{"sub":"bob"}"#, alg: "HS512")
        #expect(try Self.refusal(resolver, token: token) == "JWT algorithm is not accepted")
    }

    @Test func badSignatureIsRefused() async throws {
        let resolver = try await Self.resolver()
        let forged = TestJWT.hs256(#"{"sub":"alice"}"#, secret: "another-secret-of-32-bytes-000000")
        #expect(try Self.refusal(resolver, token: forged) == "JWT signature is invalid")

        // A payload swapped under a genuine signature.
        let genuine = TestJWT.hs256(#"{"sub":"alice"}"#).split(separator: ".")
        let tampered = [genuine[0], Substring(TestJWT.base64URL(#"{"sub":"admin"}"#.utf8)), genuine[2]].joined(separator: ".")
        #expect(try Self.refusal(resolver, token: tampered) == "JWT signature is invalid")
    }

    // MARK: Time

    @Test func expiredTokenIsRefused() async throws {
        let resolver = try await Self.resolver()
        let token = TestJWT.hs256(#"{"sub":"alice","exp":1699999900}"#)  // 100 s ago, leeway 30 s
        #expect(try Self.refusal(resolver, token: token) == "JWT has expired")
    }

    @Test func expiredWithinLeewayIsAccepted() async throws {
        let resolver = try await Self.resolver()
        #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"sub":"alice","exp":1699999980}"#))?.id == "alice")
        #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"sub":"alice","exp":1699999970}"#))?.id == "alice")
        let strict = try await Self.resolver(leeway: .zero)
        #expect(try Self.refusal(strict, token: TestJWT.hs256(#"{"sub":"alice","exp":1699999999.5}"#)) == "JWT has expired")
    }

    @Test func notYetValidTokenIsRefusedOutsideLeeway() async throws {
        let resolver = try await Self.resolver()
        let future = TestJWT.hs256(#"{"sub":"alice","nbf":1700000100}"#)
        #expect(try Self.refusal(resolver, token: future) == "JWT is not valid yet")
        #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"sub":"alice","nbf":1700000020}"#))?.id == "alice")
    }

    @Test func nonNumericTimesAreRefused() async throws {
        let resolver = try await Self.resolver()
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"a","exp":"tomorrow"}"#)) == "JWT exp is not a number")
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"a","nbf":null}"#)) == "JWT nbf is not a number")
    }

    // MARK: Issuer and audience

    static func resolver(issuer: String?, audiences: [String]) async throws -> UserIdentityResolver {
        var jwt = JWTConfig(secretEnv: "GATEHOUSE_JWT_SECRET")
        jwt.issuer = issuer
        jwt.audiences = audiences
        return try await resolver(jwt: jwt, environment: ["GATEHOUSE_JWT_SECRET": secret])
    }

    /// A shared secret signs tokens for several services: with `issuer` set, one minted by
    /// another issuer is refused like a forgery. `iss` is compared exactly (RFC 7519 §2
    /// StringOrURI: case-sensitive, no normalisation), so a precomposed and a decomposed é differ.
    @Test func issuerMustBeTheConfiguredOne() async throws {
        let resolver = try await Self.resolver(issuer: "https://auth.example.com", audiences: [])
        #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"sub":"alice","iss":"https://auth.example.com"}"#))?.id == "alice")
        for iss in [#""https://auth.example.com/""#, #""HTTPS://auth.example.com""#, #""https://other.example.com""#, #""""#] {
            let token = TestJWT.hs256(#"{"sub":"alice","iss":\#(iss)}"#)
            #expect(try Self.refusal(resolver, token: token) == "JWT issuer is not accepted")
        }
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"alice"}"#)) == #"JWT has no "iss" claim"#)
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"alice","iss":7}"#)) == "JWT iss is not a string")
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"alice","iss":["https://auth.example.com"]}"#))
            == "JWT iss is not a string")

        let composed = try await Self.resolver(issuer: "caf\u{E9}", audiences: [])
        #expect(try Self.user(composed, token: TestJWT.hs256(#"{"sub":"a","iss":"caf\u00e9"}"#))?.id == "a")
        #expect(try Self.refusal(composed, token: TestJWT.hs256(#"{"sub":"a","iss":"cafe\u0301"}"#)) == "JWT issuer is not accepted")
    }

    /// RFC 7519 §4.1.3: `aud` is one string or an array of them, and the token is for us when it
    /// names any audience we answer to.
    @Test func audienceMustNameAConfiguredOne() async throws {
        let resolver = try await Self.resolver(issuer: nil, audiences: ["orders-api", "gatehouse"])
        for aud in [#""gatehouse""#, #"["gatehouse"]"#, #"["billing","orders-api"]"#, #"["orders-api","gatehouse"]"#] {
            #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"sub":"alice","aud":\#(aud)}"#))?.id == "alice")
        }
        for aud in [#""billing""#, #"["billing"]"#, "[]", #""Gatehouse""#, #""gatehouse ""#, #""orders-api,gatehouse""#] {
            let token = TestJWT.hs256(#"{"sub":"alice","aud":\#(aud)}"#)
            #expect(try Self.refusal(resolver, token: token) == "JWT audience is not accepted")
        }
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"alice"}"#)) == #"JWT has no "aud" claim"#)
        for aud in ["5", "null", #"{"gatehouse":true}"#, #"["gatehouse",5]"#, #"[["gatehouse"]]"#] {
            let token = TestJWT.hs256(#"{"sub":"alice","aud":\#(aud)}"#)
            #expect(try Self.refusal(resolver, token: token) == "JWT aud is not a string or an array of strings")
        }
    }

    @Test func issuerAndAudienceMustBothHold() async throws {
        let resolver = try await Self.resolver(issuer: "auth", audiences: ["gatehouse"])
        #expect(try Self.user(resolver, token: TestJWT.hs256(#"{"sub":"alice","iss":"auth","aud":"gatehouse"}"#))?.id == "alice")
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"alice","iss":"auth","aud":"billing"}"#))
            == "JWT audience is not accepted")
        #expect(try Self.refusal(resolver, token: TestJWT.hs256(#"{"sub":"alice","iss":"other","aud":"gatehouse"}"#))
            == "JWT issuer is not accepted")
    }

    /// Unset, neither claim is looked at, whatever it holds: the behaviour before the keys existed.
    @Test func unsetIssuerAndAudienceAcceptAnyToken() async throws {
        let resolver = try await Self.resolver()
        for payload in [#"{"sub":"alice","iss":"anyone","aud":"anything"}"#, #"{"sub":"alice","iss":7,"aud":[1,{}]}"#] {
            #expect(try Self.user(resolver, token: TestJWT.hs256(payload))?.id == "alice")
        }
    }

    // MARK: Algorithms

    @Test func algNoneIsRefused() async throws {
        let resolver = try await Self.resolver()
        let header = TestJWT.base64URL(#"{"alg":"none","typ":"JWT"}"#.utf8)
        let payload = TestJWT.base64URL(#"{"sub":"alice"}"#.utf8)
        #expect(try Self.refusal(resolver, token: "\(header).\(payload).") == "JWT algorithm is not accepted")
        #expect(try Self.refusal(resolver, token: "\(header).\(payload).c2ln") == "JWT algorithm is not accepted")
        let noAlg = TestJWT.make(header: #"{"typ":"JWT"}"#, payload: #"{"sub":"alice"}"#) {
            TestJWT.hmac($0, secret: Array(Self.secret.utf8), alg: "HS256")
        }
        #expect(try Self.refusal(resolver, token: noAlg) == "JWT header has no algorithm")
    }

    @Test func criticalHeaderExtensionsAreRefused() async throws {
        let resolver = try await Self.resolver()
        let token = TestJWT.make(header: #"{"alg":"HS256","crit":["exp"]}"#, payload: #"{"sub":"alice"}"#) {
            TestJWT.hmac($0, secret: Array(Self.secret.utf8), alg: "HS256")
        }
        #expect(try Self.refusal(resolver, token: token) == "JWT has critical header extensions")
    }

    @Test func es256KeyVerifiesES256AndRefusesHMACSignedWithThePublicKey() async throws {
        let key = P256.Signing.PrivateKey()
        let path = try TestJWT.temporaryFile(key.publicKey.pemRepresentation)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let resolver = try await Self.resolver(jwt: JWTConfig(publicKeyFile: path))

        let valid = try TestJWT.make(header: #"{"alg":"ES256","typ":"JWT"}"#, payload: #"{"sub":"carol"}"#) {
            Array(try key.signature(for: $0).rawRepresentation)
        }
        #expect(try Self.user(resolver, token: valid) == UserIdentity(id: "carol", source: .jwt))

        // The classic confusion attack: HS256 keyed with the (public) PEM text.
        let confused = TestJWT.hs256(#"{"sub":"carol"}"#, secret: key.publicKey.pemRepresentation)
        #expect(try Self.refusal(resolver, token: confused) == "JWT algorithm is not accepted")

        let otherKey = P256.Signing.PrivateKey()
        let foreign = try TestJWT.make(header: #"{"alg":"ES256"}"#, payload: #"{"sub":"carol"}"#) {
            Array(try otherKey.signature(for: $0).rawRepresentation)
        }
        #expect(try Self.refusal(resolver, token: foreign) == "JWT signature is invalid")
    }

    @Test func rsaKeyVerifiesRS256AndRefusesHS256() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let path = try TestJWT.temporaryFile(key.publicKey.pemRepresentation)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let resolver = try await Self.resolver(jwt: JWTConfig(publicKeyFile: path))

        let valid = try TestJWT.make(header: #"{"alg":"RS256","typ":"JWT"}"#, payload: #"{"sub":"dave"}"#) {
            Array(try key.signature(for: Data($0), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
        #expect(try Self.user(resolver, token: valid)?.id == "dave")
        let confused = TestJWT.hs256(#"{"sub":"dave"}"#, secret: key.publicKey.pemRepresentation)
        #expect(try Self.refusal(resolver, token: confused) == "JWT algorithm is not accepted")
    }

    // MARK: Malformed

    @Test(arguments: [
        "onlyone",
        "two.parts",
        "a.b.c.d",
        "***.***.***",
        "eyJhbGciOiJIUzI1NiJ9=.eyJzdWIiOiJhIn0.c2ln",  // padding is not base64url
        "bm90IGpzb24.eyJzdWIiOiJhIn0.c2ln",  // header "not json"
        "W10.eyJzdWIiOiJhIn0.c2ln",  // header is an array
        "..",
    ])
    func malformedTokensAreRefused(token: String) async throws {
        let resolver = try await Self.resolver()
        _ = try Self.refusal(resolver, token: token)
    }

    @Test func badBase64InSignatureOrPayloadIsRefused() async throws {
        let resolver = try await Self.resolver()
        let parts = TestJWT.hs256(#"{"sub":"alice"}"#).split(separator: ".").map(String.init)
        #expect(try Self.refusal(resolver, token: "\(parts[0]).\(parts[1]).\(parts[2])*") == "JWT signature is malformed")
        #expect(try Self.refusal(resolver, token: "\(parts[0]).\(parts[1]).") == "JWT signature is malformed")
        // Payload garbage is caught by the signature before it is ever parsed.
        #expect(try Self.refusal(resolver, token: "\(parts[0]).%%%.\(parts[2])") == "JWT signature is invalid")
        let unsignedGarbage = TestJWT.make(header: #"{"alg":"HS256"}"#, payload: "not json") {
            TestJWT.hmac($0, secret: Array(Self.secret.utf8), alg: "HS256")
        }
        #expect(try Self.refusal(resolver, token: unsignedGarbage) == "JWT payload is not base64url-encoded JSON")
    }

    // MARK: Setup

    @Test func missingSecretVariableIsASetupError() async throws {
        let error = await #expect(throws: UserIdentitySetupError.self) {
            _ = try await Self.resolver(jwt: JWTConfig(secretEnv: "NOT_SET_ANYWHERE"))
        }
        #expect(error?.path == "identity.jwt.secret_env")
        #expect(error?.message == "environment variable NOT_SET_ANYWHERE is not set")
    }

    @Test func shortSecretIsASetupErrorThatDoesNotRevealIt() async throws {
        let error = await #expect(throws: UserIdentitySetupError.self) {
            _ = try await Self.resolver(secret: "hunter2")
        }
        #expect(error?.message.contains("7 bytes") == true)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func unreadableOrUnusableKeyFilesAreSetupErrors() async throws {
        let missing = await #expect(throws: UserIdentitySetupError.self) {
            _ = try await Self.resolver(jwt: JWTConfig(publicKeyFile: "/nonexistent/gatehouse/key.pem"))
        }
        #expect(missing?.path == "identity.jwt.public_key_file")
        #expect(missing?.message == "cannot read /nonexistent/gatehouse/key.pem: No such file or directory")

        let garbage = try TestJWT.temporaryFile("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        let unusable = await #expect(throws: UserIdentitySetupError.self) {
            _ = try await Self.resolver(jwt: JWTConfig(publicKeyFile: garbage))
        }
        #expect(unusable?.message.hasPrefix("\(garbage) holds no usable public key") == true)

        let privateKey = try TestJWT.temporaryFile(P256.Signing.PrivateKey().pemRepresentation)
        defer { try? FileManager.default.removeItem(atPath: privateKey) }
        let refused = await #expect(throws: UserIdentitySetupError.self) {
            _ = try await Self.resolver(jwt: JWTConfig(publicKeyFile: privateKey))
        }
        #expect(refused?.message.hasSuffix("holds a private key; give Gatehouse only the public key") == true)
        #expect(refused?.configIssue(file: "proxy.conf").description.hasPrefix("proxy.conf: identity.jwt.public_key_file: ") == true)
    }
}
