// RedisEvictionTests: a write drops its URL's cached response even after Redis evicted the URL's index.
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import NIOCore
import Testing

/// Redis as a shared cache usually runs with `maxmemory` and an `allkeys-lru` policy. A URL's
/// index (the set of its entry keys, which a purge reads) is touched only when an entry is
/// stored, while a hot entry is read on every hit: under memory pressure the index went first,
/// and a write's purge then found nothing to drop, so the next read, through any instance, got
/// what the write replaced until the entry's TTL ran out. A purge now also deletes the URL's
/// shared entry by name, and a user's entry (a `per_user` rule), which only the index lists,
/// is served only while the index is there.
@Suite struct RedisEvictionTests {
    @Test(arguments: [false, true])
    func aWriteDropsItsURLAfterRedisEvictedItsIndex(perUser: Bool) async throws {
        let user = perUser ? [("X-User-Id", "alice")] : []
        try await RedisServerProcess.with(extraArguments: ["--maxmemory-policy", "allkeys-lru", "--maxmemory-samples", "64"]) { redis in
            let endpoint = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            let (proxy, upstream) = try await ProxyHarness.start(behaviour: CacheEndToEndTests.versionedByWrites()) { config in
                config.cache.store = .redis
                config.redis.url = endpoint
                var rule = CacheRuleConfig(pathPrefix: "/")
                rule.perUser = perUser
                config.cache.rules = [rule]
            }
            await RedisCommandClient.with(endpoint) { commands in
                #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/doc", headers: user).bodyString == "v1")
                #expect(try await proxy.waitForGauge("gatehouse_cache_stores_total", toRead: 1))
                #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/doc", headers: user).header("cache-status")?.hasPrefix("gatehouse; hit") == true)

                let index = try #require(try await Self.onlyKey(matching: "gatehouse:i*", commands))
                let entry = try #require(try await Self.onlyKey(matching: "gatehouse:e*", commands))
                // As an index untouched for an hour would be (LRU time has a 1 s grain).
                let dump = try await commands.send(["DUMP", .string(index)]).get()
                let ttl = try await commands.send(["PTTL", .string(index)]).get()
                _ = try await commands.send([
                    "RESTORE", .string(index), .integer(ttl.integer ?? 0), .buffer(dump.buffer ?? ByteBuffer()), "REPLACE", "IDLETIME", 3600,
                ]).get()
                // Memory pressure: other keys until Redis evicts the index. They look idle for
                // half an hour, so however many keys an eviction takes, the index goes first and
                // the entry (just read) last.
                _ = try await commands.send(["SET", "filler", .bytes(Array(repeating: 120, count: 2_000))]).get()
                let filler = try await commands.send(["DUMP", "filler"]).get().buffer ?? ByteBuffer()
                let info = try await commands.send(["INFO", "memory"]).get().string ?? ""
                let used = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("used_memory:") }
                    .flatMap { Int($0.dropFirst("used_memory:".count)) } ?? 0
                _ = try await commands.send(["CONFIG", "SET", "maxmemory", .integer(used + 200_000)]).get()
                var fillers = 0
                while try await commands.send(["EXISTS", .string(index)]).get().integer == 1, fillers < 2_000 {
                    _ = try await commands.send(["RESTORE", "filler:\(fillers)", 0, .buffer(filler), "IDLETIME", 1_800]).get()
                    fillers += 1
                }
                _ = try await commands.send(["CONFIG", "SET", "maxmemory", 0]).get()
                #expect(try await commands.send(["EXISTS", .string(index)]).get().integer == 0)
                #expect(try await commands.send(["EXISTS", .string(entry)]).get().integer == 1)

                #expect(try await TestHTTPClient.request(port: proxy.port, "PUT", "/doc", body: [1]).status == 204)
                let after = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc", headers: user)
                #expect(after.bodyString == "v2", "served what the write replaced: \(after.header("cache-status") ?? "")")
            }
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }

    private static func onlyKey(matching pattern: String, _ commands: RedisClient) async throws -> String? {
        let keys = try await commands.send(["KEYS", .string(pattern)]).get().array ?? []
        return keys.count == 1 ? keys[0].string : nil
    }
}
