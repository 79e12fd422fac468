// CacheRefreshSupersedesTests: a background refresh whose answer may not be stored ends the stale copy's use.
import GatehouseTesting
import NIOConcurrencyHelpers
import Testing

@Suite struct CacheRefreshSupersedesTests {
    /// The origin's first answer is stored already stale (`Age` past its `max-age`) within a
    /// minute of stale-while-revalidate; every later one is `later`, which may not be stored.
    private static func startOrigin(later: TestUpstreamBehaviour) async throws -> (ProxyHarness, TestUpstreamServer) {
        let first = FirstCallFlag()
        return try await ProxyHarness.start(behaviour: { _ in
            guard first.take() else { return later }
            return .respond(headers: [("Cache-Control", "max-age=60, stale-while-revalidate=60"), ("Age", "61")], body: Array("v1".utf8))
        })
    }

    static let unstorableAnswers: [(String, TestUpstreamBehaviour)] = [
        ("no-store", .respond(headers: [("Cache-Control", "no-store")], body: Array("v2".utf8))),
        ("private", .respond(headers: [("Cache-Control", "private, max-age=60")], body: Array("v2".utf8))),
        ("gone, without freshness", .respond(status: 404, body: Array("v2".utf8))),
    ]

    @Test(arguments: unstorableAnswers)
    func anUnstorableAnswerToABackgroundRefreshEndsTheStaleCopy(_ name: String, _ later: TestUpstreamBehaviour) async throws {
        let (proxy, upstream) = try await Self.startOrigin(later: later)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/page").bodyString == "v1")
        let stale = try await TestHTTPClient.request(port: proxy.port, "GET", "/page")
        #expect(stale.bodyString == "v1")
        #expect(stale.header("cache-status")?.hasPrefix("gatehouse; hit; fwd=stale") == true)
        #expect(await upstream.waitForRequests(2))
        // The refresh's end, which drops the copy, is seen by nothing outside the proxy.
        #expect(try await Polling.until { try await TestHTTPClient.request(port: proxy.port, "GET", "/page").bodyString == "v2" })
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A 5xx is no new answer: the stale copy stays, for stale-if-error as much as for the window.
    @Test func aFailedRefreshKeepsTheStaleCopy() async throws {
        let (proxy, upstream) = try await Self.startOrigin(later: .respond(status: 503, body: Array("down".utf8)))
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/page").bodyString == "v1")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/page").bodyString == "v1")
        #expect(await upstream.waitForRequests(2))
        // A third upstream request is a second refresh, begun only once the first has ended.
        var bodies: Set<String> = []
        let refreshedAgain = try await Polling.until {
            bodies.insert(try await TestHTTPClient.request(port: proxy.port, "GET", "/page").bodyString)
            return upstream.requestCount >= 3
        }
        #expect(refreshedAgain)
        #expect(bodies == ["v1"])
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
