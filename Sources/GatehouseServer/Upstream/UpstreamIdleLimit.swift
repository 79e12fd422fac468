// UpstreamIdleLimit: how long a connection back in the pool stays fit for reuse.
import NIOCore

/// `upstream.keepalive_timeout`, and the origin's own `Keep-Alive: timeout=N` less a second:
/// whichever is shorter. A request written on a connection the origin is closing for idleness
/// fails (a POST gets 502), so the pool stops reusing a connection before the origin would close
/// it. The second of margin is undici's (Node's fetch): the origin's clock started when it wrote
/// the response, a little before the pool got the connection back.
struct UpstreamIdleLimit {
    /// Gatehouse's own limit; nil for none (`keepalive_timeout: 0`).
    let configured: TimeAmount?

    init(keepaliveTimeout: Duration) {
        configured = keepaliveTimeout > .zero ? TimeAmount(keepaliveTimeout) : nil
    }

    /// Whether the pool closes idle connections when their limit passes: not when only an
    /// origin's announcement limits them (that origin closes them itself).
    var sweeps: Bool { configured != nil }

    /// When a connection going idle now stops being reused, given the timeout (seconds) its
    /// last response announced: nil when it should not be kept at all (an origin closing it
    /// within the second), `.distantFuture` when nothing limits it. Reads the clock only when
    /// there is a limit.
    func reusableUntil(announced seconds: Int64?) -> NIODeadline? {
        var limit = configured
        if let seconds {
            guard seconds > 1 else { return nil }
            let announced = TimeAmount.seconds(seconds - 1)
            limit = min(limit ?? announced, announced)
        }
        guard let limit else { return .distantFuture }
        return .now() + limit
    }
}
