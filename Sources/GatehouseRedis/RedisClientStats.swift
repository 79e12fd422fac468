// RedisClientStats: a snapshot of a RedisClient's health counters.

/// Counters of a ``RedisClient`` at one moment, for `/health` and `/metrics`.
public struct RedisClientStats: Sendable, Hashable {
    /// Connections of the pool that are up right now.
    public var connectionsUp: Int
    /// Connections the pool keeps (`redis.pool_size`).
    public var poolSize: Int
    /// Failed commands (no reply, or an error reply where a result was needed) plus failed
    /// connection attempts, since start (`gatehouse_redis_errors_total`).
    public var errorsTotal: Int
    /// Connections established since start, including the first ones.
    public var connectsTotal: Int

    /// True when at least one connection is up (`gatehouse_redis_up`).
    public var isConnected: Bool { connectionsUp > 0 }
}
