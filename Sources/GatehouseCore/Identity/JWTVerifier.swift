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
    /// The `iss` required (`identity.jwt.issuer`); nil accepts any.
    let issuer: String?
    /// The audiences of which `aud` must name one (`identity.jwt.audience`); empty accepts any.
    let audiences: [String]

    init(algorithms: [String: any JWTAlgorithm], claim: String, leeway: Duration, issuer: String? = nil, audiences: [String] = []) {
        self.algorithms = algorithms
        self.claim = claim
        self.issuer = issuer
        self.audiences = audiences
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
        try checkIssuer(claims["iss"])
        try checkAudience(claims["aud"])
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

    /// `iss` against `issuer`. Compared byte for byte: StringOrURI values are case-sensitive and
    /// never normalised (RFC 7519 §2), where Swift's `==` equates canonically equivalent text.
    private func checkIssuer(_ iss: JWTJSONValue?) throws(GatehouseError) {
        guard let issuer else { return }
        guard let iss else { throw Self.refusal(#"JWT has no "iss" claim"#) }
        guard case .string(let name) = iss else { throw Self.refusal("JWT iss is not a string") }
        guard name.utf8.elementsEqual(issuer.utf8) else { throw Self.refusal("JWT issuer is not accepted") }
    }

    /// `aud`, one string or an array of them, must name one of `audiences` (RFC 7519 §4.1.3);
    /// compared as `iss` is.
    private func checkAudience(_ aud: JWTJSONValue?) throws(GatehouseError) {
        guard !audiences.isEmpty else { return }
        let isOurs = { (name: String) in audiences.contains { $0.utf8.elementsEqual(name.utf8) } }
        let accepted: Bool
        switch aud {
        case nil:
            throw Self.refusal(#"JWT has no "aud" claim"#)
        case .string(let name)?:
            accepted = isOurs(name)
        case .strings(let names)?:
            accepted = names.contains(where: isOurs)
        default:
            throw Self.refusal("JWT aud is not a string or an array of strings")
        }
        guard accepted else { throw Self.refusal("JWT audience is not accepted") }
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
