// UserIdentity: who sent a request, as rate limits key on it and the access log prints it.

/// The user of a request, as established by `UserIdentityResolver`.
///
/// `id` is safe to log and to put in rate-limit and cache keys: an API key appears only as a hash.
/// JWT and trusted-header users share one namespace (no prefix), so the same user named by a token
/// or by a trusted proxy is one user to the limiter; API-key users carry a `key:` prefix.
public struct UserIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Where the identity came from.
    public enum Source: String, Sendable, Hashable {
        /// The configured claim of a verified `Authorization: Bearer` JWT.
        case jwt
        /// A hash of the API-key header.
        case apiKey = "api_key"
        /// `user_header`, sent by a trusted proxy.
        case header
    }

    /// The user's identifier: what rate limits key on and what the access log prints.
    public let id: String
    public let source: Source

    public init(id: String, source: Source) {
        self.id = id
        self.source = source
    }

    /// The identity of a client presenting `key`; the key itself is not kept.
    public init(apiKey key: some StringProtocol) {
        self.init(id: APIKeyDigest.identifier(for: key), source: .apiKey)
    }

    public var description: String { id }
}
