// Why a test client could not hand back a complete response.

/// Errors thrown by ``TestHTTPClient`` and ``RawHTTPConnection``.
public enum TestHTTPClientError: Error, Equatable, Sendable {
    /// The server closed (or reset) the connection before a complete response arrived.
    case connectionClosed
    /// No complete response arrived within the request's timeout; the connection is closed
    /// because its state is unknown.
    case timeout
    /// A request was sent while another one on the same connection was still waiting for its
    /// response; this client sends requests strictly one after another.
    case requestInFlight
    /// The bytes received are not a valid HTTP/1.1 response (``RawHTTPConnection`` only).
    case invalidResponse(String)
}
