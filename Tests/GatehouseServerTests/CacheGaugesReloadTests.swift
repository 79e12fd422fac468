// CacheGaugesReloadTests: the cache size gauges follow a reload that leaves the memory store.
import Foundation
import GatehouseCore
import GatehouseTesting
import Testing

@Suite struct CacheGaugesReloadTests {
    private static let gauges = ["gatehouse_cache_bytes", "gatehouse_cache_entries", "gatehouse_cache_body_files"]

    private static func config(upstream: Int, redis: Int, store: String) -> String {
        StoreReloadConfigText.make(upstream: upstream, redis: redis, rateLimits: "  store: memory", cache: "  store: \(store)")
    }

    private static func reload(_ proxy: ProxyHarness, to text: String, at file: URL) async throws {
        try text.write(to: file, atomically: true, encoding: .utf8)
        #expect(await proxy.server.reload())
    }

    private static func scrape(_ proxy: ProxyHarness) async throws -> PrometheusText {
        PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
    }

    /// A reload to another `cache.version` leaves every stored key unreachable; the memory store
    /// lets go of them at once (bytes, entries, body files) rather than when the LRU reaches them.
    @Test func aNewCacheVersionLetsGoOfTheOldEntries() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=600")], body: Array(repeating: 7, count: 70_000))
        })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-version-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        // Both stores in memory: the Redis address is never used.
        let text = { (version: String) in
            StoreReloadConfigText.make(
                upstream: upstream.port, redis: 1, rateLimits: "  store: memory", cache: "  store: memory\n  version: \"\(version)\""
            )
        }
        try text("1").write(to: file, atomically: true, encoding: .utf8)
        let initial = try ConfigLoader.load(path: file.path)
        let proxy = try await ProxyHarness.start(upstreamPorts: [upstream.port], configPath: file.path) { $0 = initial }
        let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc")
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        let filled = try await Self.scrape(proxy)
        for name in Self.gauges {
            #expect((filled.value(name) ?? 0) > 0, "\(name)")
        }

        try await Self.reload(proxy, to: text("2"), at: file)
        let emptied = try await Self.scrape(proxy)
        for name in Self.gauges {
            #expect(emptied.value(name) == 0, "\(name) after a reload to version 2")
        }
        let again = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc")
        #expect(again.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// After a reload to Redis or to no cache, nothing is held in memory: the gauges say 0
    /// instead of keeping the old memory store's last values for ever.
    @Test func gaugesGoToZeroWhenTheMemoryStoreGoes() async throws {
        try await RedisServerProcess.with { redis in
            // Over 64 KiB: kept in a memory file, so the body-file gauge counts it too.
            let upstream = try await TestUpstreamServer.start(behaviour: { _ in
                .respond(headers: [("Cache-Control", "max-age=600")], body: Array(repeating: 7, count: 70_000))
            })
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-gauges-\(UUID().uuidString).conf")
            defer { try? FileManager.default.removeItem(at: file) }
            try Self.config(upstream: upstream.port, redis: redis.port, store: "memory").write(to: file, atomically: true, encoding: .utf8)
            let initial = try ConfigLoader.load(path: file.path)
            let proxy = try await ProxyHarness.start(upstreamPorts: [upstream.port], configPath: file.path) { $0 = initial }
            for store in ["redis", "off"] {
                try await Self.reload(proxy, to: Self.config(upstream: upstream.port, redis: redis.port, store: "memory"), at: file)
                let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc-\(store)")
                #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
                let filled = try await Self.scrape(proxy)
                for name in Self.gauges {
                    #expect((filled.value(name) ?? 0) > 0, "\(name)")
                }

                try await Self.reload(proxy, to: Self.config(upstream: upstream.port, redis: redis.port, store: store), at: file)
                let emptied = try await Self.scrape(proxy)
                for name in Self.gauges {
                    #expect(emptied.value(name) == 0, "\(name) after a reload to \(store)")
                }
            }
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }
}
