// CacheInvalidationRaceTests: a fetch that began before a write to its URL and ended after it stores nothing.
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct CacheInvalidationRaceTests {
    enum Store: CaseIterable {
        case memory, redis
    }

    /// The race nginx and Varnish leave open: A's miss goes upstream and the origin reads v1;
    /// B's PUT completes (v2) and purges the URL; then A's response arrives. Stored, it would be
    /// served as a hit for its whole TTL. Ten readers that ask after the PUT while A's fetch is
    /// still running (joining it as followers) get v2 from one new fetch, and so does D, which
    /// asks after both, from the cache.
    @Test(arguments: Store.allCases)
    func aFetchThatBeganBeforeAWriteDoesNotStoreWhatItRead(store: Store) async throws {
        if store == .redis {
            try await RedisServerProcess.with { redis in
                try await Self.race { config in
                    config.cache.store = .redis
                    config.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
                }
            }
        } else {
            try await Self.race { _ in }
        }
    }

    /// How long the first GET of `/item` takes. It must outlast the write sent meanwhile, and
    /// with Redis the reads after it must begin past the write's purge mark, which refuses the
    /// stores of fetches begun in the write's second or the next (clocks of instances apart):
    /// 3 s leaves a loaded machine a whole second to complete the write.
    static let firstReadDelay = TimeAmount.seconds(3)

    /// An origin whose GETs answer the version of the data, which every write bumps; the first
    /// GET of `/item` reads now and answers `firstReadDelay` later.
    private static func versionedOrigin() -> @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour {
        let version = NIOLockedValueBox(1)
        let firstRead = FirstCallFlag()
        return { request in
            if request.method != "GET" {
                version.withLockedValue { $0 += 1 }
                return .respond(status: 204)
            }
            let read = TestUpstreamBehaviour.respond(
                headers: [("Cache-Control", "max-age=60")], body: Array("v\(version.withLockedValue { $0 })".utf8)
            )
            return request.uri == "/item" && firstRead.take() ? .delay(firstReadDelay, then: read) : read
        }
    }

    private static func race(configure: (inout GatehouseConfig) -> Void) async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: versionedOrigin(), configure: configure)

        async let first = TestHTTPClient.request(port: proxy.port, "GET", "/item")
        #expect(await upstream.waitForRequests(1))
        #expect(try await TestHTTPClient.request(port: proxy.port, "PUT", "/item", body: [1]).status == 204)
        // Ten more readers join the running fetch; they must get v2, from one fetch between them.
        async let followers = withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 {
                group.addTask { try await TestHTTPClient.request(port: proxy.port, "GET", "/item").bodyString }
            }
            var bodies: [String] = []
            for try await body in group { bodies.append(body) }
            return bodies
        }

        #expect(try await first.bodyString == "v1")  // read before the write: right for A
        #expect(try await followers == Array(repeating: "v2", count: 10))
        let after = try await TestHTTPClient.request(port: proxy.port, "GET", "/item")
        #expect(after.bodyString == "v2", "\(after.header("cache-status") ?? "")")
        #expect(after.header("cache-status")?.contains("hit") == true)
        // The first read, then one read after the write for the ten (each going upstream on its
        // own made 11). As for any miss, a follower whose lookup was under way when that read's
        // store landed may read once more (a Redis round trip), hence the margin.
        #expect(upstream.receivedRequests.filter { $0.method == "GET" }.count <= 4)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Two instances (A, B) sharing one redis-server, in front of one `versionedOrigin`; `body`
    /// gets them and the origin, which are stopped afterwards.
    private static func withTwoInstances(
        _ body: (_ first: ProxyHarness, _ second: ProxyHarness, _ upstream: TestUpstreamServer) async throws -> Void
    ) async throws {
        try await RedisServerProcess.with { redis in
            let upstream = try await TestUpstreamServer.start(behaviour: Self.versionedOrigin())
            let shared = { (config: inout GatehouseConfig) in
                config.cache.store = .redis
                config.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            }
            let first = try await ProxyHarness.start(upstreamPorts: [upstream.port], configure: shared)
            let second = try await ProxyHarness.start(upstreamPorts: [upstream.port], configure: shared)
            try await body(first, second, upstream)
            try await first.stop()
            try await second.stop()
            try await upstream.shutdown()
        }
    }

    /// One host name for both instances: their ports differ, their keys must not.
    private static let host = [("Host", "api.example")]

    /// The same race across instances sharing Redis: A's fetch began, a PUT through B purged
    /// the URL (A's own log never hears of it), then A's fetch ended. The purge left a mark in
    /// Redis that refuses A's store, so a read through B gets v2, not A's pre-write copy.
    @Test func aWriteThroughAnotherInstanceStopsAFetchBegunBeforeIt() async throws {
        try await Self.withTwoInstances { first, second, upstream in
            let host = Self.host
            async let read = TestHTTPClient.request(port: first.port, "GET", "/item", headers: host)
            #expect(await upstream.waitForRequests(1))
            #expect(try await TestHTTPClient.request(port: second.port, "PUT", "/item", headers: host, body: [1]).status == 204)
            #expect(try await read.bodyString == "v1")
            let after = try await TestHTTPClient.request(port: second.port, "GET", "/item", headers: host)
            #expect(after.bodyString == "v2", "\(after.header("cache-status") ?? "")")
            // Stored now, for both instances.
            #expect(try await TestHTTPClient.request(port: first.port, "GET", "/item", headers: host).header("cache-status")?.contains("hit") == true)
        }
    }

    /// The same across instances for a purge of everything: A's fetch began (v1), the data
    /// changed at the origin (v2, no write through a proxy, so no URL was purged) and a purge of
    /// everything went through B, then A's fetch ended. The purge moved the shared epoch past the
    /// one A's fetch went upstream under, so A's v1 is not stored where anyone reads: B and A
    /// both get v2, which a miss after the purge stores as usual. The fetch lasts 3 s, past A's
    /// 1 s epoch refresh: A's store reads the new epoch.
    @Test func aPurgeOfEverythingThroughAnotherInstanceStopsAFetchBegunBeforeIt() async throws {
        try await Self.withTwoInstances { first, second, upstream in
            let host = Self.host
            // Another URL stored first loads the store script into Redis: were A's store to go
            // through, it would land one round trip after A's answer, ahead of the reads below.
            #expect(try await TestHTTPClient.request(port: second.port, "GET", "/other", headers: host).status == 200)
            async let read = TestHTTPClient.request(port: first.port, "GET", "/item", headers: host)
            #expect(await upstream.waitForRequests(2))
            // Straight to the origin: the data changes without any proxy purging the URL.
            #expect(try await TestHTTPClient.request(port: upstream.port, "PUT", "/item", body: [1]).status == 204)
            try await CacheBodyFileEndToEndTests.purgeAll(adminPort: second.adminPort)
            #expect(try await read.bodyString == "v1")

            let afterOnB = try await TestHTTPClient.request(port: second.port, "GET", "/item", headers: host)
            #expect(afterOnB.bodyString == "v2", "\(afterOnB.header("cache-status") ?? "")")
            let afterOnA = try await TestHTTPClient.request(port: first.port, "GET", "/item", headers: host)
            #expect(afterOnA.bodyString == "v2", "\(afterOnA.header("cache-status") ?? "")")
            // B's miss after the purge was stored, for both instances.
            #expect(afterOnA.header("cache-status")?.contains("hit") == true, "\(afterOnA.header("cache-status") ?? "")")
        }
    }
}
