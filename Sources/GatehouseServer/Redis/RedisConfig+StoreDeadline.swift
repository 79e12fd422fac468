// RedisConfig+StoreDeadline: how long the data path waits for a Redis store before it gives up on it.
import GatehouseCore
import NIOCore

extension RedisConfig {
    /// The backstop on one store call (a cache lookup, a rate-limit check): the client fails a
    /// command at `timeout` itself, and this catches what it does not (a call waiting for a
    /// connection, say), at twice that. Saturating: NIO's `*` traps on overflow, and a config
    /// built in code is not bounded the way a checked file is (`redis.timeout` ≤ 1m).
    var storeDeadline: TimeAmount {
        TimeAmount(timeout).saturatingMultiplied(by: 2)
    }
}
