// ReloadKeepsStateTests: a reload keeps a memory store's counters and entries when only Redis settings change.
import Foundation
@testable import GatehouseCore
import GatehouseTesting
import Testing

/// A memory store is made from nothing in `redis:`, nor from `on_store_error`: changing those (or
/// the other store starting or stopping to use Redis) and reloading must neither hand every
/// client a fresh quota nor empty the cache.
@Suite struct ReloadKeepsStateTests {
    private static func config(upstream: Int, redis: Int, prefix: String, rateLimits: String, cache: String) -> String {
        StoreReloadConfigText.make(upstream: upstream, redis: redis, prefix: prefix, rateLimits: rateLimits, cache: cache)
    }

    /// Starts a proxy from the file at `file` (so it matches what reloads re-read).
    private static func start(_ text: String, at file: URL, upstream: Int) async throws -> ProxyHarness {
        try text.write(to: file, atomically: true, encoding: .utf8)
        let initial = try ConfigLoader.load(path: file.path)
        return try await ProxyHarness.start(upstreamPorts: [upstream], configPath: file.path) { $0 = initial }
    }

    private static func reload(_ proxy: ProxyHarness, to text: String, at file: URL) async throws {
        try text.write(to: file, atomically: true, encoding: .utf8)
        #expect(await proxy.server.reload())
    }

    @Test func memoryRateLimitCountersSurviveRedisChanges() async throws {
        try await RedisServerProcess.with { redis in
            let upstream = try await TestUpstreamServer.start(behaviour: { _ in .respond(body: Array("ok".utf8)) })
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-limits-\(UUID().uuidString).conf")
            defer { try? FileManager.default.removeItem(at: file) }
            let text = { (cache: String, prefix: String, onError: String) in
                Self.config(
                    upstream: upstream.port, redis: redis.port, prefix: prefix,
                    rateLimits: """
                      store: memory
                      on_store_error: \(onError)
                      policies:
                        - {name: per-ip, key: ip, limit: 2, window: 1m}
                    """,
                    cache: "  store: \(cache)"
                )
            }
            let proxy = try await Self.start(text("memory", "gatehouse:", "allow"), at: file, upstream: upstream.port)
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 429)

            // The cache starts using Redis: the limiter gets a Redis link it does not use.
            try await Self.reload(proxy, to: text("redis", "gatehouse:", "allow"), at: file)
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 429)
            // Another key prefix (a new link) and another on_store_error.
            try await Self.reload(proxy, to: text("redis", "other:", "deny"), at: file)
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 429)
            // Back to a memory cache: the link goes away.
            try await Self.reload(proxy, to: text("memory", "other:", "allow"), at: file)
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 429)
            #expect(upstream.requestCount == 2)
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }

    /// A reload that lengthens a policy's window keeps counting what was admitted under the
    /// shorter one, for the longer one. The memory store reclaimed a quiet key by the window it
    /// was last used with, so an address quiet for the old window got a fresh quota at once.
    @Test func aLengthenedWindowStillCountsEarlierAdmissions() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .respond(body: Array("ok".utf8)) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-window-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        let text = { (window: String) in
            Self.config(
                upstream: upstream.port, redis: 6379, prefix: "gatehouse:",
                rateLimits: """
                  store: memory
                  policies:
                    - {name: per-ip, key: ip, limit: 1, window: \(window)}
                """,
                cache: "  store: off"
            )
        }
        // Another client whose key shares the first one's shard, where its visit reclaims idle keys.
        let first = "198.51.100.1"
        let shard = TrackedKey("per-ip:" + first).shard(among: 16)
        let other = try #require((2..<255).map { "198.51.100.\($0)" }.first { TrackedKey("per-ip:" + $0).shard(among: 16) == shard })
        let proxy = try await Self.start(text("1s"), at: file, upstream: upstream.port)
        let from = { (client: String) in
            try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: [("X-Forwarded-For", client)]).status
        }
        #expect(try await from(first) == 200)
        try await Self.reload(proxy, to: text("1h"), at: file)
        // The old window passes (real time is what is under test), then the neighbour comes by.
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await from(other) == 200)
        #expect(try await from(first) == 429)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func memoryCacheEntriesSurviveRedisChanges() async throws {
        try await RedisServerProcess.with { redis in
            let upstream = try await TestUpstreamServer.start(behaviour: { _ in
                .respond(headers: [("Cache-Control", "max-age=600")], body: Array("v1".utf8))
            })
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-cache-\(UUID().uuidString).conf")
            defer { try? FileManager.default.removeItem(at: file) }
            let text = { (limits: String, prefix: String) in
                Self.config(
                    upstream: upstream.port, redis: redis.port, prefix: prefix,
                    rateLimits: "  store: \(limits)", cache: "  store: memory"
                )
            }
            let proxy = try await Self.start(text("redis", "gatehouse:"), at: file, upstream: upstream.port)
            let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc")
            #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")

            for (limits, prefix) in [("redis", "other:"), ("memory", "other:")] {
                try await Self.reload(proxy, to: text(limits, prefix), at: file)
                let hit = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc")
                #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true, "after reload to \(limits), \(prefix)")
            }
            #expect(upstream.requestCount == 1)
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }
}
