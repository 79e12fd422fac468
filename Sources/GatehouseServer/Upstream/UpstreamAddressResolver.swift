// UpstreamAddressResolver: turns an origin server's host name into the addresses to connect to.
import NIOCore

/// How an origin's host name becomes socket addresses. The proxy uses `SystemAddressResolver`
/// (getaddrinfo); the seam exists because what a name resolves to is the machine's DNS, which
/// nothing inside the process (a test, an embedder with its own discovery) can change.
///
/// Blocking: called only off the event loops, at start and reload and by
/// `UpstreamAddressRefresher` on NIO's thread pool.
public protocol UpstreamAddressResolver: Sendable {
    /// The addresses of `host` with `port`, preferred first; at least one, else it throws.
    func addresses(host: String, port: Int) throws -> [SocketAddress]
}
