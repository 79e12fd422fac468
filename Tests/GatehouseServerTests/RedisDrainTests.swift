// RedisDrainTests: a drain ends within drain_timeout even when Redis has stopped answering.
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import Testing

/// A drain closes the Redis connections last but one (before the access log's last lines) with
/// QUIT, which waits for the replies in flight: with Redis hung that wait lasted until
/// `redis.timeout` (up to a minute) past `drain_timeout`, so an orchestrator's kill at the
/// grace period came first, and the access log's last lines were lost with it.
@Suite struct RedisDrainTests {
    @Test func aHungRedisDoesNotHoldTheDrainPastItsTimeout() async throws {
        try await RedisServerProcess.with(extraArguments: ["--enable-debug-command", "yes"]) { redis in
            let endpoint = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
                config.cache.store = .redis
                config.redis.url = endpoint
                config.redis.timeout = .seconds(20)
            }
            await RedisCommandClient.with(endpoint) { commands in
                // Hangs Redis for 4 s; this client's own wait for the reply gives up sooner.
                let hang = commands.send(["DEBUG", "SLEEP", "4"])
                let clock = ContinuousClock()
                let start = clock.now
                await proxy.server.drain(timeout: .milliseconds(500))
                let took = clock.now - start
                #expect(took < .milliseconds(2_500), "drain took \(took)")
                _ = try? await hang.get()
            }
            try await upstream.shutdown()
        }
    }
}
