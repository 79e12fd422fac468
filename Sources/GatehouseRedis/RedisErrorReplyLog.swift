// RedisErrorReplyLog: tells the operator, at most once per interval, what Redis answers commands with errors.
import Atomics
import Logging
import NIOCore

/// An error reply (OOM, READONLY, WRONGTYPE...) fails a command while its connection stays up, so
/// no connection line in the log says why the stores fail. At most one line per ``interval``:
/// under load every request would write one; `gatehouse_redis_errors_total` counts them all.
final class RedisErrorReplyLog: Sendable {
    static let interval: TimeAmount = .seconds(10)

    private let logger: Logger
    /// Uptime (ns) of the last line; 0 before the first.
    private let lastLogged = ManagedAtomic<Int64>(0)
    /// Error replies since the last line that it did not show.
    private let unlogged = ManagedAtomic<Int>(0)

    init(logger: Logger) {
        self.logger = logger
    }

    func note(_ message: String) {
        let now = max(Int64(clamping: NIODeadline.now().uptimeNanoseconds), 1)
        let last = lastLogged.load(ordering: .relaxed)
        guard last == 0 || now - last >= Self.interval.nanoseconds,
              lastLogged.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
        else {
            unlogged.wrappingIncrement(ordering: .relaxed)
            return
        }
        logger.warning("Redis answered a command with an error", metadata: [
            "error": "\(message)",
            "redis.unlogged_errors": "\(unlogged.exchange(0, ordering: .relaxed))",
        ])
    }
}
