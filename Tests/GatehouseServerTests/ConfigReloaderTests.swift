// ConfigReloaderTests: reloads that arrive together run one after the other, never interleaved.
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import Logging
import NIOPosix
import Testing
@testable import GatehouseServer

@Suite struct ConfigReloaderTests {
    /// Two reloads at once (a SIGHUP and a POST /admin/reload): one switches to a new Redis link,
    /// the other back to the current one. Interleaved, both built from the same old runtime and
    /// the first swap closed the link the second runtime reuses, leaving a closed client live.
    /// Which one finishes first is up to the scheduler, so several rounds of several are run.
    /// (The interleaving needs a build that suspends; with a 2 ms sleep put into
    /// `ProxyRuntime.build`, the reloader without turns failed 43 of 50 rounds here.)
    @Test func concurrentReloadsNeverLeaveAClosedRedisClientLive() async throws {
        try await RedisServerProcess.with { redis in
            let group = MultiThreadedEventLoopGroup.singleton
            var base = GatehouseConfig(upstream: UpstreamConfig(servers: [UpstreamServerAddress(host: "127.0.0.1", port: try closedPort())]))
            base.server.accessLog = .off
            base.cache.store = .redis
            base.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            var changed = base
            changed.redis.keyPrefix = "other:"
            let other = changed
            let current = base
            var logger = Logger(label: "gatehouse-test")
            logger.logLevel = .critical
            let metrics = GatehouseMetrics()
            let runtime = try await ProxyRuntime.build(
                config: base, group: group, metrics: metrics, logger: logger, resolver: SystemAddressResolver()
            )
            let state = ServerState(
                group: group, metrics: metrics, runtime: runtime, logger: logger, resolver: SystemAddressResolver()
            )
            let reloader = ConfigReloader(path: nil, state: state)
            for round in 0..<50 {
                await withTaskGroup(of: Void.self) { reloads in
                    for index in 0..<4 {
                        reloads.addTask { _ = await reloader.apply(index.isMultiple(of: 2) ? other : current) }
                    }
                }
                let live = try #require(state.runtime.redis)
                do {
                    _ = try await live.client.send(["PING"]).get()
                } catch RedisError.clientClosed {
                    Issue.record("round \(round): the live runtime's Redis client is closed")
                } catch {
                    // Not yet connected, say: not what this test is about.
                }
                _ = await reloader.apply(current)
            }
            await state.runtime.redis?.close()
            try? await state.runtime.pools.shutdown()?.get()
        }
    }
}
