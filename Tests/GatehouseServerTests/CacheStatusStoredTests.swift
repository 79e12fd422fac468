// CacheStatusStoredTests: `Cache-Status` says `stored` only for responses the store can keep (RFC 9211 §2.6).
import GatehouseCore
import GatehouseTesting
import Testing

@Suite struct CacheStatusStoredTests {
    private static let cacheable = TestUpstreamBehaviour.respond(headers: [("Cache-Control", "max-age=60")], body: Array("v1".utf8))

    /// With Redis gone, every miss claimed `fwd=uri-miss; stored` while nothing was stored (the
    /// next request another miss). The claim now follows the link: once it is down, no `stored`.
    @Test func aMissClaimsNoStoreWhileRedisIsDown() async throws {
        try await RedisServerProcess.with { redis in
            let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in Self.cacheable }) { config in
                config.cache.store = .redis
                config.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            }
            let stored = try await TestHTTPClient.request(port: proxy.port, "GET", "/up")
            #expect(stored.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
            // The entry reaches Redis after the response has ended (the first store loads the
            // store script too): counted once it is in.
            #expect(try await proxy.waitForGauge("gatehouse_cache_stores_total", toRead: 1))
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/up").header("cache-status")?.hasPrefix("gatehouse; hit") == true)

            await redis.kill()
            // The proxy has seen the link go once its gauge says so.
            #expect(try await proxy.waitForGauge("gatehouse_redis_up", toRead: 0))
            for _ in 0..<2 {
                let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/down")
                #expect(miss.status == 200)
                #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss")
            }
            let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
            #expect(metrics.value("gatehouse_cache_stores_total") == 1)
            #expect(upstream.requestCount == 3)
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }

    /// A body that cannot fit the memory budget (under `max_object_size`, so the policy lets it
    /// through) was claimed `stored` and refused by the store; it is not claimed now.
    @Test func aBodyOverTheMemoryBudgetIsNotClaimedStored() async throws {
        let body = Array(repeating: UInt8(ascii: "b"), count: 8_192)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/small" ? Self.cacheable : .respond(headers: [("Cache-Control", "max-age=60")], body: body)
        }) { config in
            config.cache.memoryBudget = 4_096
            config.cache.maxObjectSize = 64 * 1024
        }
        for _ in 0..<2 {
            let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/large")
            #expect(miss.body.count == 8_192)
            #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss")
        }
        // What fits is still claimed, and stored.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/small").header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/small").header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(upstream.requestCount == 3)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
