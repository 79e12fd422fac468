// UpstreamIdleLimit: how long a connection back in the pool stays fit for reuse.
import NIOCore

/// `upstream.keepalive_timeout`: a request written on a connection the origin is closing for
/// idleness fails (a POST gets 502), so the pool stops reusing a connection before the origin
/// would close it.
struct UpstreamIdleLimit {
    /// Gatehouse's own limit; nil for none (`keepalive_timeout: 0`).
    let configured: TimeAmount?

    init(keepaliveTimeout: Duration) {
        configured = keepaliveTimeout > .zero ? TimeAmount(keepaliveTimeout) : nil
    }

    /// How often idle connections past their limit are looked for and closed; nil when none
    /// has a limit.
    var sweepInterval: TimeAmount? { configured }

    /// When a connection going idle now stops being reused: `.distantFuture` when nothing
    /// limits it. Reads the clock only when there is a limit.
    func reusableUntil() -> NIODeadline {
        guard let limit = configured else { return .distantFuture }
        return .now() + limit
    }
}
