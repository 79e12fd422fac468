// CacheUnansweredWriteTests: a write whose answer never comes still invalidates what it may have changed.
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import Testing

@Suite struct CacheUnansweredWriteTests {
    /// How a write's answer fails to arrive once the origin has it (and, as most origins do,
    /// carries it out whoever is still listening).
    enum Ending: String, CaseIterable, Sendable {
        /// The client resets its connection while the origin works.
        case clientLeaves
        /// The origin takes longer than `upstream.response_timeout` (504).
        case originTimesOut
        /// The origin closes the connection without answering (502).
        case originCloses
    }

    /// The origin counts every write as done (the next GET has a new version), then answers
    /// it as `ending` says: never, or with a close.
    private static func versionedByUnansweredWrites(_ ending: Ending) -> @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour {
        let versioned = CacheEndToEndTests.versionedByWrites()
        return { request in
            let answer = versioned(request)
            guard request.method != "GET" else { return answer }
            return ending == .originCloses ? .closeWithoutResponse : .hang
        }
    }

    @Test(arguments: Ending.allCases)
    func aWriteWhoseAnswerNeverCameStillInvalidates(_ ending: Ending) async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.versionedByUnansweredWrites(ending)) { config in
            var rule = CacheRuleConfig(pathPrefix: "/api/users")
            rule.namespace = "users"
            rule.invalidatedBy = ["/api/users"]
            config.cache.rules = [rule]
            config.upstream.responseTimeout = .milliseconds(300)
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users/1").bodyString == "v1")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users?page=2").bodyString == "v1")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users/1").header("cache-status")?.hasPrefix("gatehouse; hit") == true)

        let writer = try await TestHTTPClient.connect(port: proxy.port)
        switch ending {
        case .clientLeaves:
            async let abandoned = writer.send("PUT", "/api/users/1", body: [1])
            #expect(await upstream.waitForRequests(3))
            try await writer.reset()
            _ = try? await abandoned
            // The reset reaches the proxy on its own connection's loop: its invalidation (URL and
            // namespace) is what the next read must come after.
            #expect(try await proxy.waitForGauge("gatehouse_cache_invalidations_total", ["reason": "write"], toRead: 2))
        case .originTimesOut:
            #expect(try await writer.send("PUT", "/api/users/1", body: [1]).status == 504)
            try await writer.close()
        case .originCloses:
            #expect(try await writer.send("PUT", "/api/users/1", body: [1]).status == 502)
            try await writer.close()
        }

        // The origin did the write: neither its URL nor its namespace may answer what it replaced.
        let read = try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users/1")
        #expect(read.bodyString == "v2")
        #expect(read.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users?page=2").bodyString == "v2")
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
