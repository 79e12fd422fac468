// RedisClientEvent: what a RedisClient reports to its owner (metrics, logs, health).

/// Something that happened to a ``RedisClient``'s connections or commands.
///
/// Delivered synchronously on an event loop: keep the handler cheap (bump a counter, set a gauge).
public enum RedisClientEvent: Sendable, Hashable {
    /// Pool connection `slot` is up (connected, authenticated, database selected).
    case connected(slot: Int)
    /// Pool connection `slot` went down; it reconnects with backoff.
    case disconnected(slot: Int)
    /// A connection attempt of pool slot `slot` failed.
    case connectFailed(slot: Int, error: RedisError)
    /// A command failed: without a reply (timeout, unavailable, connection lost, protocol error),
    /// or with an error reply (OOM, READONLY, WRONGTYPE...) or a reply of the wrong kind where a
    /// result was needed (``RedisError/server(_:)``, ``RedisError/unexpectedReply(_:)``).
    case commandFailed(RedisError)
}
