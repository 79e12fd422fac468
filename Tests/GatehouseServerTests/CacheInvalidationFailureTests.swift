// CacheInvalidationFailureTests: a write whose purge or bump failed on Redis is not undone by a stale hit, and is retried.
import Foundation
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import NIOCore
import Testing

@Suite struct CacheInvalidationFailureTests {
    /// One host name for both instances: their ports differ, their keys must not.
    private static let host = [("Host", "api.example")]

    /// Instances A and B sharing `redis`, in front of one origin whose GETs answer the version of
    /// the data (cacheable for a minute) and whose writes bump it, with a rule putting
    /// `/ns/` in namespace `items`, which writes under `/ns/` bump.
    private static func withTwoInstances(
        redis: RedisServerProcess,
        _ body: (_ first: ProxyHarness, _ second: ProxyHarness, _ commands: RedisClient) async throws -> Void
    ) async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: CacheEndToEndTests.versionedByWrites())
        let endpoint = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
        let shared = { (config: inout GatehouseConfig) in
            config.cache.store = .redis
            config.redis.url = endpoint
            var rule = CacheRuleConfig(pathPrefix: "/ns/")
            rule.namespace = "items"
            rule.invalidatedBy = ["/ns/"]
            config.cache.rules = [rule]
        }
        let first = try await ProxyHarness.start(upstreamPorts: [upstream.port], configure: shared)
        let second = try await ProxyHarness.start(upstreamPorts: [upstream.port], configure: shared)
        await RedisCommandClient.with(endpoint) { commands in
            try await body(first, second, commands)
        }
        try await first.stop()
        try await second.stop()
        try await upstream.shutdown()
    }

    private static func get(_ proxy: ProxyHarness, _ path: String) async throws -> TestHTTPResponse {
        try await TestHTTPClient.request(port: proxy.port, "GET", path, headers: host)
    }

    /// Stores `path` through `first` and checks `second` finds it in Redis, once it is there: the
    /// entry is written after the response has ended (the first store loads the script too).
    private static func storeV1(_ path: String, first: ProxyHarness, second: ProxyHarness) async throws {
        let stores = try await metrics(first).value("gatehouse_cache_stores_total") ?? 0
        let miss = try await get(first, path)
        #expect(miss.bodyString == "v1" && miss.header("cache-status")?.contains("stored") == true, "\(miss.header("cache-status") ?? "")")
        #expect(try await first.waitForGauge("gatehouse_cache_stores_total", toRead: stores + 1))
        let hit = try await get(second, path)
        #expect(hit.bodyString == "v1" && hit.header("cache-status")?.contains("hit") == true, "\(hit.header("cache-status") ?? "")")
    }

    private static func metrics(_ proxy: ProxyHarness) async throws -> PrometheusText {
        PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
    }

    /// Polls `condition` every 50 ms for up to 15 s: a retry's success and a proxy's Redis
    /// connection coming up are seen from outside only through the admin endpoints, which have
    /// no event to wait on.
    private static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        try await Polling.until(every: .milliseconds(50), within: .seconds(15), condition)
    }

    /// Waits until A has no failed invalidation left to retry.
    private static func retried(_ proxy: ProxyHarness) async throws -> Bool {
        try await eventually { try await metrics(proxy).value("gatehouse_cache_invalidations_pending") == 0 }
    }

    /// Waits until `proxy`'s cache reaches Redis again (its lookups would be misses before).
    private static func connected(_ proxy: ProxyHarness) async throws -> Bool {
        try await eventually {
            try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/health").bodyString.contains(#""cache":"connected""#)
        }
    }

    /// The purge marks in Redis: one per URL a purge reached.
    private static func purgeMarks(_ commands: RedisClient) async throws -> Int {
        let reply = try await commands.send(["KEYS", "gatehouse:w:*"]).get()
        guard case .array(let keys) = reply else { return -1 }
        return keys.count
    }

    /// The verified defect: Gatehouse's Redis connections dropped while Redis and its data stay;
    /// a write at once finds every slot reconnecting, so its purge fails. A's read right after
    /// must not be the pre-write copy still in Redis, and once A's connections are back its
    /// retry purges the entry from Redis, so B reads the new data too.
    @Test func aPurgeThatFailedWhileRedisReconnectedHidesTheEntryAndIsRetried() async throws {
        try await RedisServerProcess.with { redis in
            try await Self.withTwoInstances(redis: redis) { first, second, commands in
                try await Self.storeV1("/inv", first: first, second: second)

                // Every client but this one; the proxies' slots reconnect after 25–50 ms.
                _ = try await commands.send(["CLIENT", "KILL", "TYPE", "normal"]).get()
                #expect(try await TestHTTPClient.request(port: first.port, "POST", "/inv", headers: Self.host, body: [1]).status == 204)
                // Read once A reaches Redis again (before, its lookup fails too: a miss anyway),
                // where the pre-write copy still is unless the retry has purged it.
                #expect(try await Self.connected(first))
                let after = try await Self.get(first, "/inv")
                #expect(after.bodyString == "v2", "A served what the write replaced: \(after.header("cache-status") ?? "")")

                #expect(try await Self.retried(first))
                #expect(try await Self.purgeMarks(commands) == 1)
                #expect(try await Self.connected(second))
                let onB = try await Self.get(second, "/inv")
                #expect(onB.bodyString == "v2", "\(onB.header("cache-status") ?? "")")
            }
        }
    }

    /// Redis really down: its data saved, the server stopped, writes through A (a plain URL and
    /// one in namespace `items`, whose version cannot even be read), Redis restarted from its
    /// snapshot with the pre-write entries back in it. A neither serves them nor lets them stand:
    /// its retries purge the URLs and bump the namespace, so B reads the new data too.
    @Test func invalidationsMadeWhileRedisWasDownAreRetriedWhenItIsBack() async throws {
        let snapshot = "gatehouse-invalidation-\(UUID().uuidString).rdb"
        defer { try? FileManager.default.removeItem(atPath: FileManager.default.temporaryDirectory.appendingPathComponent(snapshot).path) }
        try await RedisServerProcess.with(extraArguments: ["--dbfilename", snapshot]) { redis in
            try await Self.withTwoInstances(redis: redis) { first, second, commands in
                try await Self.storeV1("/inv", first: first, second: second)
                try await Self.storeV1("/ns/a", first: first, second: second)
                _ = try await commands.send(["SAVE"]).get()
                await redis.stop()

                #expect(try await TestHTTPClient.request(port: first.port, "POST", "/inv", headers: Self.host, body: [1]).status == 204)
                #expect(try await TestHTTPClient.request(port: first.port, "POST", "/ns/a", headers: Self.host, body: [1]).status == 204)
                let failures = try await Self.metrics(first)
                #expect(failures.value("gatehouse_cache_invalidation_failures_total", ["op": "purge"]) == 2)
                #expect(failures.value("gatehouse_cache_invalidation_failures_total", ["op": "namespace"]) == 1)
                #expect(failures.value("gatehouse_cache_invalidations_pending") == 3)

                try await redis.restart()
                #expect(await commands.waitUntilConnected(timeout: .seconds(10)))
                // The snapshot brought the pre-write entries back; A's retries drop them.
                #expect(try await Self.retried(first))
                #expect(try await commands.send(["GET", "gatehouse:ns:items"]).get().string == "1")
                #expect(try await Self.purgeMarks(commands) == 2)
                #expect(try await Self.connected(first))
                #expect(try await Self.connected(second))
                for proxy in [first, second] {
                    for path in ["/inv", "/ns/a"] {
                        let read = try await Self.get(proxy, path)
                        #expect(read.bodyString != "v1", "\(path): \(read.header("cache-status") ?? "")")
                    }
                }
            }
        }
    }
}
