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
    /// served as a hit for its whole TTL. C, which asks after the PUT while A's fetch is still
    /// running (joining it as a follower), and D, which asks after both, must get v2.
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

    private static func race(configure: (inout GatehouseConfig) -> Void) async throws {
        let version = NIOLockedValueBox(1)
        let firstRead = FirstCallFlag()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            if request.method != "GET" {
                version.withLockedValue { $0 += 1 }
                return .respond(status: 204)
            }
            // Read now, answered later: the first read outlasts the write.
            let read = TestUpstreamBehaviour.respond(
                headers: [("Cache-Control", "max-age=60")], body: Array("v\(version.withLockedValue { $0 })".utf8)
            )
            return firstRead.take() ? .delay(.seconds(2), then: read) : read
        }, configure: configure)

        async let first = TestHTTPClient.request(port: proxy.port, "GET", "/item")
        #expect(await upstream.waitForRequests(1))
        #expect(try await TestHTTPClient.request(port: proxy.port, "PUT", "/item", body: [1]).status == 204)
        async let follower = TestHTTPClient.request(port: proxy.port, "GET", "/item")

        #expect(try await first.bodyString == "v1")  // read before the write: right for A
        let collapsed = try await follower
        #expect(collapsed.bodyString == "v2", "\(collapsed.header("cache-status") ?? "")")
        let after = try await TestHTTPClient.request(port: proxy.port, "GET", "/item")
        #expect(after.bodyString == "v2", "\(after.header("cache-status") ?? "")")
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
