// RedisBackoff: how long a pool slot waits before its next connection attempt (and a failed cache purge before its retry).
import NIOCore

/// Exponential backoff with jitter: 50 ms doubling to 2 s, each delay drawn from its upper half so
/// many instances (or slots) that lost Redis together do not reconnect in lockstep.
public struct RedisBackoff: Sendable {
    public static let initial: TimeAmount = .milliseconds(50)
    public static let maximum: TimeAmount = .seconds(2)

    private var current: TimeAmount = RedisBackoff.initial

    public init() {}

    /// The delay before the next attempt; grows for the attempt after.
    public mutating func nextDelay() -> TimeAmount {
        let base = current
        current = min(current * 2, Self.maximum)
        let half = base.nanoseconds / 2
        return .nanoseconds(half + Int64.random(in: 0...half))
    }

    /// Back to the shortest delay, after a successful connection.
    public mutating func reset() {
        current = Self.initial
    }
}
