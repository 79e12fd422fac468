// JWTVerifier: checks one compact JWT synchronously and names its user by the configured claim.

import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Verifies Bearer tokens against keys loaded once by `JWTKeyLoader`.
///
/// Built for the event loop: no actor, no await. jwt-kit's `JWTKeyCollection.verify` would hop to
/// an actor per request, so the compact serialisation is taken apart here and only the signature
/// check is jwt-kit's. Every refusal is a 401 whose message never repeats the token.
struct JWTVerifier: Sendable {
    /// Accepted `alg` values and their keys; `none` is never among them.
    let algorithms: [String: any JWTAlgorithm]
    /// The claim naming the user (`identity.jwt.claim`).
    let claim: String
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    let leeway: Double

    init(algorithms: [String: any JWTAlgorithm], claim: String, leeway: Duration) {
        self.algorithms = algorithms
        self.claim = claim
        let parts = leeway.components
        self.leeway = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// The user named by `token`, or why the token is refused.
    func user(fromToken token: Substring, now: Date) -> Result<String, GatehouseError> {
        do throws(GatehouseError) {
            return .success(try verifiedUser(token: Array(token.utf8), now: now.timeIntervalSince1970))
        } catch {
            return .failure(error)
        }
    }

    private func verifiedUser(token: [UInt8], now: Double) throws(GatehouseError) -> String {
        let dots = token.indices.filter { token[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw Self.refusal("Bearer token is not a JWT") }
        let header = try Self.object(token[..<dots[0]], part: "header")

        guard case .string(let name)? = header["alg"] else { throw Self.refusal("JWT header has no algorithm") }
        guard let algorithm = algorithms[name] else { throw Self.refusal("JWT algorithm is not accepted") }
        // RFC 7515 §4.1.11: extensions marked critical that we do not implement mean rejection.
        guard header["crit"] == nil else { throw Self.refusal("JWT has critical header extensions") }

        guard let signature = JWTBase64URL.decode(token[(dots[1] + 1)...]), !signature.isEmpty else {
            throw Self.refusal("JWT signature is malformed")
        }
        let signingInput = token[..<dots[1]]
        guard (try? algorithm.verify(signature, signs: signingInput)) == true else {
            throw Self.refusal("JWT signature is invalid")
        }

        let claims = try Self.object(token[(dots[0] + 1)..<dots[1]], part: "payload")
        try checkValidity(of: claims, now: now)
        switch claims[claim] {
        case .string(let user) where !user.isEmpty:
            return user
        case .number(_, let text):
            return text
        default:
            throw Self.refusal("JWT has no usable \"\(claim)\" claim")
        }
    }

    /// `exp` and `nbf` with `leeway` either side (RFC 7519 §4.1.4, §4.1.5).
    private func checkValidity(of claims: [String: JWTJSONValue], now: Double) throws(GatehouseError) {
        if let exp = claims["exp"] {
            guard let expiry = exp.number else { throw Self.refusal("JWT exp is not a number") }
            guard expiry + leeway >= now else { throw Self.refusal("JWT has expired") }
        }
        if let nbf = claims["nbf"] {
            guard let notBefore = nbf.number else { throw Self.refusal("JWT nbf is not a number") }
            guard notBefore - leeway <= now else { throw Self.refusal("JWT is not valid yet") }
        }
    }

    /// A base64url segment holding a JSON object.
    private static func object(_ segment: ArraySlice<UInt8>, part: String) throws(GatehouseError) -> [String: JWTJSONValue] {
        guard let data = JWTBase64URL.decode(segment),
              let object = try? JSONDecoder().decode([String: JWTJSONValue].self, from: data)
        else {
            throw refusal("JWT \(part) is not base64url-encoded JSON")
        }
        return object
    }

    private static func refusal(_ message: String) -> GatehouseError {
        GatehouseError(.unauthenticated, message)
    }
}
