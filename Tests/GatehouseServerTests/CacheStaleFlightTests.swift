// CacheStaleFlightTests: concurrent revalidations of one stale entry make one upstream request, with memory and Redis stores.
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import GatehouseServer

@Suite struct CacheStaleFlightTests {
    enum Store: CaseIterable {
        case memory, redis
    }

    /// Requests sent at once for the stale entry; one of them carries the client's own `If-None-Match`.
    static let concurrent = 20

    /// A proxy with `stale_while_revalidate: 0s` and `stale_if_error: 5m` in front of `behaviour`,
    /// over the memory store or a real redis-server.
    private static func withProxy(
        store: Store, behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour,
        _ body: (ProxyHarness, TestUpstreamServer) async throws -> Void
    ) async throws {
        func run(_ configureStore: @escaping (inout GatehouseConfig) -> Void) async throws {
            let (proxy, upstream) = try await ProxyHarness.start(behaviour: behaviour) { config in
                config.cache.staleWhileRevalidate = .zero
                config.cache.staleIfError = .seconds(300)
                configureStore(&config)
            }
            try await body(proxy, upstream)
            try await proxy.stop()
            try await upstream.shutdown()
        }
        if store == .redis {
            try await RedisServerProcess.with { redis in
                try await run { config in
                    config.cache.store = .redis
                    config.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
                }
            }
        } else {
            try await run { _ in }
        }
    }

    /// The first GET is answered "body-v1" with ETag "v1", fresh for one second; every later
    /// request (a revalidation) is answered `later` once the test opens `gate`.
    private static func origin(gate: TestGate, later: TestUpstreamBehaviour) -> @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour {
        let first = FirstCallFlag()
        return { _ in
            first.take()
                ? .respond(headers: [("Cache-Control", "max-age=1"), ("ETag", "\"v1\"")], body: Array("body-v1".utf8))
                : .gated(gate, then: later)
        }
    }

    /// Stores the entry and waits out its one-second lifetime (freshness is whole seconds: the
    /// clock is what makes it stale), then sends `concurrent` GETs at once, the last with the
    /// client's own `If-None-Match: "v1"`. The origin answers the revalidation only once every
    /// other request waits on it, however slowly a loaded machine sends them.
    private static func primeThenStampede(
        _ proxy: ProxyHarness, _ upstream: TestUpstreamServer, gate: TestGate
    ) async throws -> (plain: [TestHTTPResponse], conditional: TestHTTPResponse) {
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/hot").status == 200)
        try await Task.sleep(for: .milliseconds(2500))
        var plain: [TestHTTPResponse] = []
        var conditional: TestHTTPResponse?
        try await withThrowingTaskGroup(of: (asks: Bool, response: TestHTTPResponse)?.self) { group in
            for index in 0..<concurrent {
                let asks = index == concurrent - 1
                group.addTask {
                    let headers = asks ? [("If-None-Match", "\"v1\"")] : []
                    return (asks, try await TestHTTPClient.request(port: proxy.port, "GET", "/hot", headers: headers, timeout: .seconds(20)))
                }
            }
            group.addTask {
                let revalidating = await upstream.waitForRequests(2)
                let joined = revalidating ? try await proxy.waitForFollowers(concurrent - 1) : false
                gate.open()
                #expect(revalidating)
                #expect(joined, "every other request waits on the one revalidation")
                return nil
            }
            for try await answer in group {
                guard let answer else { continue }
                if answer.asks { conditional = answer.response } else { plain.append(answer.response) }
            }
        }
        return (plain, try #require(conditional))
    }

    private static func collapsedCount(_ responses: [TestHTTPResponse]) -> Int {
        responses.count(where: { $0.header("cache-status")?.hasSuffix("; collapsed") == true })
    }

    /// The herd on a hot key whose freshness lapsed in a lull: one conditional GET goes upstream;
    /// its 304 refreshes the entry for every waiting request, which says it was collapsed into
    /// another's revalidation. The client that sent its own matching validator gets 304.
    @Test(arguments: Store.allCases)
    func concurrentRevalidationsMakeOneConditionalRequest(store: Store) async throws {
        let notModified = TestUpstreamBehaviour.respond(status: 304, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=60")])
        let gate = TestGate()
        try await Self.withProxy(store: store, behaviour: Self.origin(gate: gate, later: notModified)) { proxy, upstream in
            let (plain, conditional) = try await Self.primeThenStampede(proxy, upstream, gate: gate)
            #expect(upstream.receivedRequests.count == 2, "one conditional request for all \(Self.concurrent)")
            #expect(upstream.receivedRequests.last?.header("if-none-match") == "\"v1\"")
            #expect(plain.allSatisfy { $0.status == 200 && $0.bodyString == "body-v1" })
            #expect(conditional.status == 304)
            #expect(conditional.body.isEmpty)
            let all = plain + [conditional]
            #expect(all.allSatisfy { $0.header("cache-status")?.contains("fwd=stale; fwd-status=304") == true })
            #expect(Self.collapsedCount(all) == Self.concurrent - 1)
            let hit = try await TestHTTPClient.request(port: proxy.port, "GET", "/hot")
            #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
            #expect(upstream.receivedRequests.count == 2)
        }
    }

    /// A 200 to the revalidation replaces the entry, and every waiting request gets the new one.
    @Test(arguments: Store.allCases)
    func aReplacingResponseAnswersEveryWaitingRequest(store: Store) async throws {
        let replaced = TestUpstreamBehaviour.respond(
            headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v2\"")], body: Array("body-v2".utf8)
        )
        let gate = TestGate()
        try await Self.withProxy(store: store, behaviour: Self.origin(gate: gate, later: replaced)) { proxy, upstream in
            let (plain, conditional) = try await Self.primeThenStampede(proxy, upstream, gate: gate)
            #expect(upstream.receivedRequests.count == 2)
            #expect(plain.allSatisfy { $0.status == 200 && $0.bodyString == "body-v2" })
            // Its validator names the old representation: the whole new one.
            #expect(conditional.status == 200)
            #expect(conditional.bodyString == "body-v2")
            let all = plain + [conditional]
            #expect(all.allSatisfy { $0.header("cache-status")?.contains("fwd=stale; fwd-status=200") == true })
            #expect(Self.collapsedCount(all) == Self.concurrent - 1)
        }
    }

    /// A 5xx within `stale_if_error`: every request is served the stale copy, and the failing
    /// origin is asked once, not once per request.
    @Test(arguments: Store.allCases)
    func aFailingOriginServesStaleToAllWithOneRequest(store: Store) async throws {
        let gate = TestGate()
        try await Self.withProxy(store: store, behaviour: Self.origin(gate: gate, later: .respond(status: 503))) { proxy, upstream in
            let (plain, conditional) = try await Self.primeThenStampede(proxy, upstream, gate: gate)
            #expect(upstream.receivedRequests.count == 2)
            #expect(plain.allSatisfy { $0.status == 200 && $0.bodyString == "body-v1" })
            #expect(conditional.status == 304)
            let all = plain + [conditional]
            #expect(all.allSatisfy { $0.header("cache-status")?.contains("fwd=stale; fwd-status=503") == true })
            #expect(all.allSatisfy { $0.header("cache-status")?.contains("detail=stale-if-error") == true })
        }
    }

    /// A client's own `no-cache` asks for the origin's word given after it asked: it does not
    /// wait on a revalidation already under way, but sends its own.
    @Test func aClientsNoCacheDoesNotWaitOnARevalidationUnderWay() async throws {
        let notModified = TestUpstreamBehaviour.respond(status: 304, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=60")])
        let gate = TestGate()
        try await Self.withProxy(store: .memory, behaviour: Self.origin(gate: gate, later: notModified)) { proxy, upstream in
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/hot").status == 200)
            try await Task.sleep(for: .milliseconds(2500))
            async let leader = TestHTTPClient.request(port: proxy.port, "GET", "/hot", timeout: .seconds(10))
            #expect(await upstream.waitForRequests(2))
            async let insistent = TestHTTPClient.request(
                port: proxy.port, "GET", "/hot", headers: [("Cache-Control", "no-cache")], timeout: .seconds(10)
            )
            // The leader's revalidation is held until then, so this is sent while it is under way.
            #expect(await upstream.waitForRequests(3), "sent while the leader's revalidation is still under way")
            gate.open()
            let (led, own) = try await (leader, insistent)
            #expect(led.bodyString == "body-v1")
            #expect(own.bodyString == "body-v1")
            #expect(own.header("cache-status")?.contains("fwd=stale; fwd-status=304") == true)
            #expect(own.header("cache-status")?.contains("collapsed") == false)
        }
    }

    /// A leader whose client leaves before the origin answers gives up its flight; the request
    /// waiting on it revalidates for itself and is answered.
    @Test func aWaitingRequestIsAnsweredWhenTheLeadersClientLeaves() async throws {
        let calls = NIOLockedValueBox(0)
        let behaviour: @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour = { _ in
            let call = calls.withLockedValue { $0 += 1; return $0 }
            switch call {
            case 1: return .respond(headers: [("Cache-Control", "max-age=1"), ("ETag", "\"v1\"")], body: Array("body-v1".utf8))
            case 2: return .hang
            default: return .respond(status: 304, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=60")])
            }
        }
        try await Self.withProxy(store: .memory, behaviour: behaviour) { proxy, upstream in
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/hot").status == 200)
            try await Task.sleep(for: .milliseconds(2500))
            let leaving = try await TestHTTPClient.connect(port: proxy.port)
            async let abandoned = leaving.send("GET", "/hot")
            #expect(await upstream.waitForRequests(2))
            async let waiting = TestHTTPClient.request(port: proxy.port, "GET", "/hot", timeout: .seconds(10))
            #expect(try await proxy.waitForFollowers(1))
            try await leaving.reset()
            _ = try? await abandoned
            let answer = try await waiting
            #expect(answer.status == 200)
            #expect(answer.bodyString == "body-v1")
            #expect(answer.header("cache-status")?.contains("fwd=stale; fwd-status=304") == true)
            #expect(upstream.receivedRequests.count == 3)
        }
    }
}
