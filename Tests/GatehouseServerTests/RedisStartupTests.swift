// RedisStartupTests: the first requests after start find the Redis stores connected, not still connecting.
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import Testing

/// The Redis client connects in the background, and until its first connection is up every
/// command fails at once. A reload waited for that connection before swapping its client in;
/// start did not, so requests that came as soon as the listener was up (a restart under load)
/// were refused 503 under `on_store_error: deny`, and missed the cache, while Redis was fine.
@Suite struct RedisStartupTests {
    @Test func aRequestRightAfterStartIsCheckedInRedis() async throws {
        try await RedisServerProcess.with(extraArguments: ["--enable-debug-command", "yes"]) { redis in
            let endpoint = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            let upstream = try await TestUpstreamServer.start(behaviour: { _ in .respond() })
            await RedisCommandClient.with(endpoint) { commands in
                // A Redis slow to answer a new connection's handshake (well within redis.timeout).
                let busy = commands.send(["DEBUG", "SLEEP", "0.5"])
                let proxy = try await ProxyHarness.start(upstreamPorts: [upstream.port], waitForRedis: false) { config in
                    config.server.trustedProxies = []
                    config.redis.url = endpoint
                    config.redis.timeout = .seconds(5)
                    config.rateLimits.store = .redis
                    config.rateLimits.onStoreError = .deny
                    config.rateLimits.policies = [RateLimitPolicyConfig(name: "per-ip", key: .ip, limit: 1_000, window: .seconds(60))]
                }
                let first = try await TestHTTPClient.request(port: proxy.port, "GET", "/")
                #expect(first.status == 200)
                #expect(first.header("ratelimit")?.hasPrefix(#""per-ip";r=999;"#) == true)
                _ = try await busy.get()
                try await proxy.stop()
            }
            try await upstream.shutdown()
        }
    }
}
