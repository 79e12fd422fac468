// AccessLogUserName: how the access log names a user — a digest, never the identity itself.

/// DESIGN §9 logs the user hashed: a JWT `sub` or a trusted proxy's user header is often an email
/// address or an account number, which a log shipped to other teams must not carry. The digest
/// is stable (truncated SHA-256, as for API keys), so an operator who knows a user's id (an API
/// key's is its `key:` digest) can find their lines by computing it.
public struct AccessLogUserName {
    private var last: (user: String, name: String)?

    public init() {}

    /// `u:` and 32 hex digits of SHA-256 of `user`. The previous answer is kept: a keep-alive
    /// connection's requests are usually one user's.
    public mutating func name(of user: String) -> String {
        if let last, last.user == user { return last.name }
        let name = APIKeyDigest.prefixedDigest(of: user, prefix: "u:")
        last = (user, name)
        return name
    }
}
