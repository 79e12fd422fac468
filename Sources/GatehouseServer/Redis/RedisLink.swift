// RedisLink: the Redis client of the current config, with its health wired to metrics.
import GatehouseCore
import GatehouseRedis
import Logging
import NIOCore

/// Owns the `RedisClient` when a store is `redis`: connects in the background (the proxy
/// serves meanwhile: cache misses, rate limits per `on_store_error`), reports
/// `gatehouse_redis_up` and `gatehouse_redis_errors_total`, and is kept across reloads that
/// leave the `redis:` section unchanged.
final class RedisLink: Sendable {
    let config: RedisConfig
    let client: RedisClient
    /// Told of every connection coming up (a failed cache invalidation retries then).
    let connects: RedisConnectWatch

    private init(config: RedisConfig, client: RedisClient, connects: RedisConnectWatch) {
        self.config = config
        self.client = client
        self.connects = connects
    }

    /// The link `config` needs: nil when no store is `redis`; the previous one when its
    /// settings are unchanged.
    static func make(config: GatehouseConfig, previous: RedisLink?, group: any EventLoopGroup, metrics: GatehouseMetrics, logger: Logger) -> RedisLink? {
        guard config.cache.store == .redis || config.rateLimits.store == .redis else { return nil }
        if let previous, previous.config == config.redis {
            return previous
        }
        let errors = metrics.counter(GatehouseMetrics.Name.redisErrors, [:])
        var redisLogger = logger
        redisLogger[metadataKey: "component"] = "redis"
        // `gatehouse_redis_up` is sampled from `isConnected` at each scrape (the pool has
        // several connections; one event says little about the whole).
        let connects = RedisConnectWatch()
        let client = RedisClient.connect(config: config.redis, group: group, logger: redisLogger) { event in
            switch event {
            case .connected:
                connects.connected()
            case .disconnected:
                break
            case .connectFailed, .commandFailed:
                errors.increment()
            }
        }
        return RedisLink(config: config.redis, client: client, connects: connects)
    }

    var isConnected: Bool { client.isConnected }

    /// Waits, at most as long as one connection attempt may take, for a first connection; false
    /// when none came up by then (Redis down or unreachable).
    func waitUntilConnected() async -> Bool {
        await client.waitUntilConnected(timeout: .nanoseconds(client.connectTimeout.nanoseconds))
    }

    /// Closes the client; completes when its connections are closed (so none is left pending
    /// when the event loops shut down).
    func close() async {
        try? await client.close().get()
    }

    /// Closes the client, waiting at most `limit` for its connections to close. Each waits for
    /// the replies in flight (QUIT), so a Redis that stopped answering held the caller for up to
    /// `redis.timeout`; a drain has `drain_timeout` and no more. Connections still closing by
    /// then are cut when the event loops shut down.
    func close(within limit: Duration) async {
        let closed = client.close()
        let loop = closed.eventLoop
        let waited = loop.makePromise(of: Void.self)
        let timer = loop.scheduleTask(in: TimeAmount(limit)) { waited.succeed() }
        closed.whenComplete { _ in
            timer.cancel()
            waited.succeed()
        }
        try? await waited.futureResult.get()
    }
}
