// RedisRateLimitStore: rate-limit counters in Redis — one Lua script, one round trip, shared by every instance.
import GatehouseCore
import NIOCore

/// A `RateLimitStore` whose counters live in Redis, so N Gatehouse instances on one Redis enforce
/// one set of limits. Each request costs one `EVALSHA` of ``script`` (loaded once; the client
/// reloads it on `NOSCRIPT`) that checks and records every policy atomically with the same strict
/// sliding window as `SlidingWindow`.
///
/// Keys are `keyPrefix + "rl:{" + check.key + "}"`: hash-tagged per key (a Redis Cluster could
/// shard them), each expiring one window after its latest admission.
///
/// Only the asynchronous `evaluate(_:now:on:)` talks to Redis; on any Redis failure its future
/// fails and the caller applies `on_store_error`.
public final class RedisRateLimitStore: RateLimitStore {
    public let client: RedisClient
    public let keyPrefix: String
    public let clock: Clock

    /// - Parameters:
    ///   - keyPrefix: `redis.key_prefix`; must not contain `{`, or the hash tag would be the prefix's.
    ///   - clock: ``Clock/server`` (Redis `TIME`) in production; ``Clock/caller`` for tests that drive time.
    public init(client: RedisClient, keyPrefix: String, clock: Clock = .server) {
        self.client = client
        self.keyPrefix = keyPrefix
        self.clock = clock
    }

    /// The Redis key of one check's counter.
    public func redisKey(for check: RateLimitCheck) -> String {
        keyPrefix + "rl:{" + check.key + "}"
    }

    /// Unsupported: answering needs a Redis round trip, and blocking for it would stall an event
    /// loop. Admits without results (like a request no policy applies to) so nothing is refused on
    /// a guess; the proxy only ever calls the asynchronous variant.
    public func evaluate(_ checks: [RateLimitCheck], now: UInt64) -> RateLimitOutcome {
        .unlimited
    }

    /// Evaluates and records `checks` in one round trip. `now` is used only with ``Clock/caller``.
    public func evaluate(_ checks: [RateLimitCheck], now: UInt64, on eventLoop: any EventLoop) -> EventLoopFuture<RateLimitOutcome> {
        guard !checks.isEmpty else { return eventLoop.makeSucceededFuture(.unlimited) }
        var arguments: [RedisArgument] = [clock == .caller ? .integer(Int(clamping: now / 1000)) : ""]
        for check in checks {
            arguments.append(.integer(check.limit))
            arguments.append(.integer(Int(clamping: max(check.window / 1000, 1))))
        }
        let keys = checks.map { RedisArgument.string(redisKey(for: $0)) }
        return client.evalsha(Self.script, keys: keys, arguments: arguments, on: eventLoop)
            .flatMapThrowing { reply in
                guard let outcome = RedisRateLimitReply(reply, checks: checks)?.outcome else {
                    throw RedisError.unexpectedReply(reply)
                }
                return outcome
            }
    }
}
