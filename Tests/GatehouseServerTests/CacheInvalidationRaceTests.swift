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
                try await Self.race(holdingAfterTheWrite: Self.redisClockWait) { config in
                    config.cache.store = .redis
                    config.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
                }
            }
        } else {
            try await Self.race(holdingAfterTheWrite: .zero) { _ in }
        }
    }

    /// How long after a write (or purge) the first GET of `/item` still waits with Redis, which
    /// judges by the clock: a purge mark refuses the stores of fetches begun in the write's second
    /// or the next (clocks of instances apart), and another instance sees a purge of everything
    /// once its 1 s epoch copy has lapsed. The reads after must be past both to be stored.
    static let redisClockWait = Duration.seconds(2)

    /// An origin whose GETs answer the version of the data, which every write bumps; the first
    /// GET of `/item` reads at once and answers when the test opens `gate`.
    private static func versionedOrigin(holdingFirstReadBehind gate: TestGate) -> @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour {
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
            return request.uri == "/item" && firstRead.take() ? .gated(gate, then: read) : read
        }
    }

    /// Opens `gate` once `wait` has passed since `written` (the clock is what a shared store
    /// judges by).
    private static func open(_ gate: TestGate, _ wait: Duration, after written: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: written + wait, clock: .continuous)
        gate.open()
    }

    private static func race(holdingAfterTheWrite wait: Duration, configure: (inout GatehouseConfig) -> Void) async throws {
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: versionedOrigin(holdingFirstReadBehind: gate), configure: configure)

        async let first = TestHTTPClient.request(port: proxy.port, "GET", "/item")
        #expect(await upstream.waitForRequests(1))
        #expect(try await TestHTTPClient.request(port: proxy.port, "PUT", "/item", body: [1]).status == 204)
        let written = ContinuousClock.now
        // Ten more readers join the running fetch; they must get v2, from one fetch between them.
        async let followers = withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 {
                group.addTask { try await TestHTTPClient.request(port: proxy.port, "GET", "/item").bodyString }
            }
            var bodies: [String] = []
            for try await body in group { bodies.append(body) }
            return bodies
        }
        let joined = try await proxy.waitForFollowers(10)
        try await Self.open(gate, wait, after: written)
        #expect(joined, "the ten wait on the fetch begun before the write")

        #expect(try await first.bodyString == "v1")  // read before the write: right for A
        #expect(try await followers == Array(repeating: "v2", count: 10))
        // The ten are answered as the body arrives; a shared store's write of it may land after.
        #expect(try await proxy.waitForCounter("gatehouse_cache_stores_total", toReach: 1))
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
        holdingFirstReadBehind gate: TestGate,
        _ body: (_ first: ProxyHarness, _ second: ProxyHarness, _ upstream: TestUpstreamServer) async throws -> Void
    ) async throws {
        try await RedisServerProcess.with { redis in
            let upstream = try await TestUpstreamServer.start(behaviour: Self.versionedOrigin(holdingFirstReadBehind: gate))
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
        let gate = TestGate()
        try await Self.withTwoInstances(holdingFirstReadBehind: gate) { first, second, upstream in
            let host = Self.host
            async let read = TestHTTPClient.request(port: first.port, "GET", "/item", headers: host)
            #expect(await upstream.waitForRequests(1))
            #expect(try await TestHTTPClient.request(port: second.port, "PUT", "/item", headers: host, body: [1]).status == 204)
            try await Self.open(gate, Self.redisClockWait, after: .now)
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
    /// both get v2, which a miss after the purge stores as usual. The fetch ends past A's 1 s
    /// epoch refresh after the purge: A's store reads the new epoch.
    @Test func aPurgeOfEverythingThroughAnotherInstanceStopsAFetchBegunBeforeIt() async throws {
        let gate = TestGate()
        try await Self.withTwoInstances(holdingFirstReadBehind: gate) { first, second, upstream in
            let host = Self.host
            // Another URL stored first loads the store script into Redis: were A's store to go
            // through, it would land one round trip after A's answer, ahead of the reads below.
            #expect(try await TestHTTPClient.request(port: second.port, "GET", "/other", headers: host).status == 200)
            async let read = TestHTTPClient.request(port: first.port, "GET", "/item", headers: host)
            #expect(await upstream.waitForRequests(2))
            // Straight to the origin: the data changes without any proxy purging the URL.
            #expect(try await TestHTTPClient.request(port: upstream.port, "PUT", "/item", body: [1]).status == 204)
            try await CacheBodyFileEndToEndTests.purgeAll(adminPort: second.adminPort)
            try await Self.open(gate, Self.redisClockWait, after: .now)
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
