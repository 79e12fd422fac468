// RedisErrorReplyTests: a Redis that answers commands with errors shows in gatehouse_redis_errors_total.
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import Testing

/// A Redis out of memory (`maxmemory` with `noeviction`), demoted to a read-only replica, or
/// holding a key of the wrong type under a Gatehouse key answers each command with an error:
/// under `on_store_error: deny` every request was 503 while `gatehouse_redis_up` read 1 and
/// `gatehouse_redis_errors_total` 0 (only timeouts, lost connections and failed connects were
/// counted), so nothing told the operator Redis was the cause.
@Suite struct RedisErrorReplyTests {
    enum Injection: String, CaseIterable, Sendable {
        case outOfMemory
        case wrongType

        var commands: [[RedisArgument]] {
            switch self {
            case .outOfMemory:
                [["CONFIG", "SET", "maxmemory-policy", "noeviction"], ["CONFIG", "SET", "maxmemory", "1"]]
            case .wrongType:
                // Replaces the counter the first request left.
                [["DEL", "gatehouse:rl:{per-ip:127.0.0.1}"], ["LPUSH", "gatehouse:rl:{per-ip:127.0.0.1}", "x"]]
            }
        }
    }

    @Test(arguments: Injection.allCases)
    func errorRepliesAreCountedAsRedisErrors(_ injection: Injection) async throws {
        try await RedisServerProcess.with { redis in
            let endpoint = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
                config.server.trustedProxies = []
                config.redis.url = endpoint
                config.rateLimits.store = .redis
                config.rateLimits.onStoreError = .deny
                config.rateLimits.policies = [RateLimitPolicyConfig(name: "per-ip", key: .ip, limit: 1_000, window: .seconds(60))]
            }
            await RedisCommandClient.with(endpoint) { commands in
                #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
                for command in injection.commands {
                    _ = try await commands.send(command).get()
                }
                let refused = try await TestHTTPClient.request(port: proxy.port, "GET", "/")
                #expect(refused.status == 503)
                let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
                #expect(metrics.value("gatehouse_redis_up") == 1)
                #expect((metrics.value("gatehouse_redis_errors_total") ?? 0) >= 1)
            }
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }
}
