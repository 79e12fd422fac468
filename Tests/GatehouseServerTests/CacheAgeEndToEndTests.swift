// CacheAgeEndToEndTests: an entry's age counts from when its request went upstream, not from when it arrived.
import GatehouseCore
import GatehouseTesting
import Testing

@Suite struct CacheAgeEndToEndTests {
    /// A follower that waited behind a single-flight leader (here until the leader's response
    /// timeout, 4 s) and then went upstream itself got an immediate answer: the wait is no part
    /// of that response's delay (RFC 9111 §4.2.3). Counted from the follower's arrival, the
    /// entry started 4 s old (the next request: `Age: 4`, `hit; ttl=6` of `max-age=10`).
    @Test func aFollowersWaitIsNotPartOfTheAgeOfWhatItStores() async throws {
        let first = FirstCallFlag()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            first.take() ? .hang : .respond(headers: [("Cache-Control", "max-age=10")], body: Array("v1".utf8))
        }) { config in
            config.upstream.responseTimeout = .seconds(4)
        }
        async let leader = TestHTTPClient.request(port: proxy.port, "GET", "/slow")
        #expect(await upstream.waitForRequests(1))
        async let follower = TestHTTPClient.request(port: proxy.port, "GET", "/slow")
        // It waits on the leader's flight well before the leader's 4 s response timeout.
        #expect(try await proxy.waitForFollowers(1))
        #expect(upstream.requestCount == 1)
        #expect(try await leader.status == 504)
        let waited = try await follower
        #expect(waited.status == 200)
        #expect(upstream.requestCount == 2)

        let hit = try await TestHTTPClient.request(port: proxy.port, "GET", "/slow")
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit; ttl=") == true)
        // At most a second for the exchange and one for the time since, each on a second's edge.
        let age = try #require(hit.header("age").flatMap { Int($0) })
        #expect(age <= 2, "Age \(age), Cache-Status \(hit.header("cache-status") ?? "")")
        #expect(upstream.requestCount == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
