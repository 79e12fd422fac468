// UserIdentityResolver: who the user of a request is — verified JWT, API key, or trusted header.

import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Establishes the user of each request from `identity:` (DESIGN.md §5, §6).
///
/// Built once per config by `make(config:environment:)` (which may read a secret and a key file),
/// then shared by every event loop: `resolve` is synchronous, lock-free and allocation-light.
///
/// Precedence: an `Authorization: Bearer` JWT (only when `identity.jwt` is set — otherwise the token
/// is the upstream's business and passes through), else the API-key header, else `user_header` when
/// the peer is a trusted proxy. A credential that is presented but invalid is a 401, never anonymous:
/// otherwise a client could shed its per-user limit by sending garbage.
public final class UserIdentityResolver: Sendable {
    private let jwt: JWTVerifier?
    private let apiKeyHeader: String?
    private let userHeader: String?

    init(jwt: JWTVerifier?, apiKeyHeader: String?, userHeader: String?) {
        self.jwt = jwt
        self.apiKeyHeader = apiKeyHeader
        self.userHeader = userHeader
    }

    /// Builds the resolver for `config`, loading the JWT secret (from the environment variable
    /// named by `secret_env`) or public key (PEM at `public_key_file`).
    ///
    /// - Throws: `UserIdentitySetupError` when the variable is unset, the secret is shorter than
    ///   RFC 7518 allows, or the key file is unreadable or holds no usable public key.
    public static func make(
        config: IdentityConfig,
        environment: (String) -> String? = { ProcessInfo.processInfo.environment[$0] }
    ) async throws(UserIdentitySetupError) -> UserIdentityResolver {
        var verifier: JWTVerifier?
        if let jwt = config.jwt {
            let algorithms = try await JWTKeyLoader.algorithms(for: jwt, environment: environment)
            verifier = JWTVerifier(
                algorithms: algorithms, claim: jwt.claim, leeway: jwt.leeway, issuer: jwt.issuer, audiences: jwt.audiences
            )
        }
        return UserIdentityResolver(jwt: verifier, apiKeyHeader: config.apiKeyHeader, userHeader: config.userHeader)
    }

    /// The user of a request with `headers`, nil when it carries no credential, or a 401
    /// `GatehouseError` when it carries one that does not hold.
    ///
    /// - Parameters:
    ///   - peerIsTrusted: the socket peer is in `server.trusted_proxies`; only then is
    ///     `user_header` believed.
    ///   - now: the wall-clock time `exp` and `nbf` are checked against.
    public func resolve(headers: HTTPHeaders, peerIsTrusted: Bool, now: Date) -> Result<UserIdentity?, GatehouseError> {
        if let jwt, let token = bearerToken(in: headers) {
            switch token {
            case .success(let token):
                return jwt.user(fromToken: token, now: now).map { UserIdentity(id: $0, source: .jwt) }
            case .failure(let error):
                return .failure(error)
            }
        }
        if let apiKeyHeader, let key = singleValue(of: apiKeyHeader, in: headers) {
            return key.map { UserIdentity(apiKey: $0) }
        }
        if peerIsTrusted, let userHeader, let user = singleValue(of: userHeader, in: headers) {
            return user.map { UserIdentity(id: String($0), source: .header) }
        }
        return .success(nil)
    }

    /// The token of a Bearer credential, nil when there is none (no Authorization field, or
    /// another scheme such as Basic, which belongs to the upstream).
    private func bearerToken(in headers: HTTPHeaders) -> Result<Substring, GatehouseError>? {
        let fields = headers["Authorization"]
        let bearers = fields.compactMap(BearerCredential.token(inField:))
        guard let token = bearers.first else { return nil }
        // Two credentials are ambiguous: the upstream might act on the one we did not verify.
        guard fields.count == 1 else {
            return .failure(GatehouseError(.unauthenticated, "more than one Authorization header"))
        }
        guard !token.isEmpty else {
            return .failure(GatehouseError(.unauthenticated, "Bearer credential has no token"))
        }
        return .success(token)
    }

    /// The trimmed value of `name`, nil when the field is absent or empty, or a 401 when it is
    /// sent more than once (two keys or two users cannot both be the requester).
    private func singleValue(of name: String, in headers: HTTPHeaders) -> Result<Substring, GatehouseError>? {
        let values = headers[name]
        guard let first = values.first else { return nil }
        guard values.count == 1 else {
            return .failure(GatehouseError(.unauthenticated, "more than one \(name) header"))
        }
        let value = first.trimmingOWS()
        return value.isEmpty ? nil : .success(value)
    }
}
