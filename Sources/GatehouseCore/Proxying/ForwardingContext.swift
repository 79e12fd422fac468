// ForwardingContext: what the proxy knows about the downstream side when it rewrites a request.

/// Facts about the downstream connection and request that forwarding headers are made from.
public struct ForwardingContext: Sendable {
    /// The socket peer's address as text (`203.0.113.7`, `2001:db8::1`).
    public var peerAddress: String
    /// Whether the peer is one of `server.trusted_proxies`, whose forwarding headers are believed.
    public var peerIsTrusted: Bool
    /// `http` or `https` as seen by Gatehouse's listener.
    public var scheme: String
    /// The id this request is logged and forwarded under.
    public var requestID: String
    /// `Host` for a request that names no host (HTTP/1.0 allows that; the HTTP/1.1 request sent
    /// upstream must have one): the origin's own authority, as nginx's default `$proxy_host`.
    public var hostWhenNone: String?

    public init(
        peerAddress: String, peerIsTrusted: Bool, scheme: String = "http", requestID: String, hostWhenNone: String? = nil
    ) {
        self.peerAddress = peerAddress
        self.peerIsTrusted = peerIsTrusted
        self.scheme = scheme
        self.requestID = requestID
        self.hostWhenNone = hostWhenNone
    }
}
