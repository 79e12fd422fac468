// AdminPurgeFailureTests: POST /admin/purge says so when the cache store did not carry the purge out.
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import Testing

/// With Redis refusing writes (here out of memory), a purge of a URL answered 200 `"entries": 0`
/// (as if the URL had held nothing) and a purge of a namespace or of everything 500 `INTERNAL`
/// "Internal error", while each was kept to be retried and other instances still served what it
/// meant to drop. Each now answers 503 `UNAVAILABLE` saying the purge waits for its retry.
@Suite struct AdminPurgeFailureTests {
    @Test func aPurgeTheStoreRefusedIsAnswered503() async throws {
        try await RedisServerProcess.with { redis in
            let endpoint = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
                config.cache.store = .redis
                config.redis.url = endpoint
                var rule = CacheRuleConfig(pathPrefix: "/api/")
                rule.namespace = "api"
                config.cache.rules = [rule]
            }
            await RedisCommandClient.with(endpoint) { commands in
                _ = try await commands.send(["CONFIG", "SET", "maxmemory-policy", "noeviction"]).get()
                _ = try await commands.send(["CONFIG", "SET", "maxmemory", "1"]).get()
                for body in [#"{"url": "http://example.com/api/a"}"#, #"{"namespace": "api"}"#, #"{"all": true}"#] {
                    let answer = try await TestHTTPClient.request(port: proxy.adminPort, "POST", "/admin/purge", body: Array(body.utf8))
                    #expect(answer.status == 503, "\(body): \(answer.bodyString)")
                    #expect((answer.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "UNAVAILABLE", "\(body)")
                }
                _ = try await commands.send(["CONFIG", "SET", "maxmemory", "0"]).get()
            }
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }
}
