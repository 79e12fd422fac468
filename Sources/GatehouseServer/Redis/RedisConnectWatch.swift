// RedisConnectWatch: calls back whoever asked, once, when a Redis connection next comes up.
import NIOConcurrencyHelpers

/// What waits for Redis to be back (a failed cache invalidation's retry) is told by the
/// connection itself, not by polling. Callbacks run on the event loop that saw the connection:
/// each must only hand its work on.
final class RedisConnectWatch: Sendable {
    private let waiting = NIOLockedValueBox<[@Sendable () -> Void]>([])

    init() {}

    /// Calls `callback` when a pool connection next comes up (not now if one is up already: a
    /// command that just failed may have been on a connection that is down while others are up).
    func onNextConnect(_ callback: @escaping @Sendable () -> Void) {
        waiting.withLockedValue { $0.append(callback) }
    }

    /// A pool connection came up.
    func connected() {
        let callbacks = waiting.withLockedValue { waiting -> [@Sendable () -> Void] in
            defer { waiting.removeAll() }
            return waiting
        }
        for callback in callbacks { callback() }
    }
}
