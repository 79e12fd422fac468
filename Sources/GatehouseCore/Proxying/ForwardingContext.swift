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

    public init(peerAddress: String, peerIsTrusted: Bool, scheme: String = "http", requestID: String) {
        self.peerAddress = peerAddress
        self.peerIsTrusted = peerIsTrusted
        self.scheme = scheme
        self.requestID = requestID
    }
}
