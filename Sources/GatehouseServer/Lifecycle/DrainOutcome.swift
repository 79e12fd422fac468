// DrainOutcome: how a drain ended — every connection finished, the timeout cut the rest, or the operator did.

/// What `ProxyServer.drain(timeout:cutShortBy:)` reports.
public enum DrainOutcome: Sendable, Equatable {
    /// Every client connection finished on its own.
    case drained
    /// `server.drain_timeout` passed: the connections left were closed.
    case timedOut
    /// Asked to stop now (a second SIGTERM or SIGINT): the connections left were closed.
    case cutShort
}
