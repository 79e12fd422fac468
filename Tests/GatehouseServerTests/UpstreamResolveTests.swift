// UpstreamResolveTests: an upstream host name resolved again every resolve_interval, end to end through real sockets.
import Foundation
import GatehouseCore
@testable import GatehouseServer
import GatehouseTesting
import Logging
import NIOCore
import Testing

@Suite struct UpstreamResolveTests {
    /// The name every test's one server has; `ScriptedAddressResolver` decides where it goes.
    static let origin = UpstreamServerAddress(host: "origin.test", port: 80)

    /// Two origins answering "a" and "b", and a proxy whose one server, `origin`, resolves to
    /// `initialPorts` of them (A's by default), resolved again every `interval`; A holds its
    /// answer to `/held` until `gate` opens. Not `pooled`: every request has a new connection.
    /// `configPath`: the file reloads read.
    private static func start(
        interval: Duration = .milliseconds(100), initialPorts: ((a: Int, b: Int)) -> [Int] = { [$0.a] },
        logger: Logger? = nil, gate: TestGate? = nil, pooled: Bool = true, configPath: String? = nil
    ) async throws -> (ProxyHarness, ScriptedAddressResolver, a: TestUpstreamServer, b: TestUpstreamServer) {
        let answerA = TestUpstreamBehaviour.respond(body: Array("a".utf8))
        let a = try await TestUpstreamServer.start { request in
            guard let gate, request.uri == "/held" else { return answerA }
            return .gated(gate, then: answerA)
        }
        let b = try await TestUpstreamServer.start(always: .respond(body: Array("b".utf8)))
        let resolver = try ScriptedAddressResolver(loopbackPorts: initialPorts((a.port, b.port)))
        let proxy = try await ProxyHarness.start(
            upstreamPorts: [], configPath: configPath, logger: logger, resolver: resolver
        ) { config in
            config.upstream.servers = [Self.origin]
            config.upstream.resolveInterval = interval
            // No idle limit: a pooled connection to an address that went must be closed for
            // that reason, not because it aged out.
            config.upstream.keepaliveTimeout = .zero
            if !pooled {
                config.upstream.maxIdleConnections = 0
            }
        }
        return (proxy, resolver, a, b)
    }

    /// Which origin answers a request on a new client connection ("a", "b", or the status).
    private static func answer(_ proxy: ProxyHarness, _ path: String = "/") async throws -> String {
        let response = try await TestHTTPClient.request(port: proxy.port, "GET", path)
        return response.status == 200 ? response.bodyString : "\(response.status)"
    }

    private static func stop(_ proxy: ProxyHarness, _ origins: TestUpstreamServer...) async throws {
        try await proxy.stop()
        for origin in origins {
            try await origin.shutdown()
        }
    }

    /// A drain does not wait for a lookup the DNS server leaves unanswered (getaddrinfo blocks
    /// for its timeout times its attempts, 10 s and more): the exit must not be held past
    /// `drain_timeout` by it. (The refresher's stop is final: the lookup's round, released
    /// later, acts on nothing and schedules nothing on a loop that may have shut down.)
    @Test func aDrainDoesNotWaitForALookupInProgress() async throws {
        let (proxy, resolver, a, b) = try await Self.start()
        #expect(try await Self.answer(proxy) == "a")
        resolver.holdLookups()
        try resolver.answer(loopbackPorts: [b.port])
        #expect(try await Polling.until { resolver.blockedLookups > 0 })
        // Bounds the old behaviour (a drain waiting for the lookup) so that it fails, not hangs.
        let releaseAnyway = Task {
            try await Task.sleep(for: .seconds(10))
            resolver.releaseLookups()
        }
        let started = ContinuousClock.now
        #expect(await proxy.server.drain(timeout: .seconds(30)))
        #expect(ContinuousClock.now - started < .seconds(5))
        releaseAnyway.cancel()
        resolver.releaseLookups()
        #expect(try await Polling.until { resolver.blockedLookups == 0 })
        try await a.shutdown()
        try await b.shutdown()
    }

    /// A name that moves from A to B (a blue/green switch, a load balancer's new address) is
    /// followed within an interval, without a reload: new requests reach B, and A's pooled
    /// connections are closed rather than reused.
    @Test func aNameThatResolvesElsewhereIsFollowed() async throws {
        let (proxy, resolver, a, b) = try await Self.start()
        #expect(try await Self.answer(proxy) == "a")
        try resolver.answer(loopbackPorts: [b.port])
        #expect(try await Polling.until(every: .milliseconds(20)) { try await Self.answer(proxy) == "b" })
        // The pooled connections to A (one per event loop at most) are closed, not reused.
        #expect(await a.waitForOpenConnectionsToClose())
        for _ in 0..<4 {
            #expect(try await Self.answer(proxy) == "b")
        }
        try await Self.stop(proxy, a, b)
    }

    /// A request under way on a connection to the old address finishes there; the connection is
    /// then closed, not put back in the pool.
    @Test func anExchangeUnderWayWhenTheAddressChangesFinishes() async throws {
        let gate = TestGate()
        let (proxy, resolver, a, b) = try await Self.start(gate: gate)
        async let held = Self.answer(proxy, "/held")
        #expect(await a.waitForRequests(1))
        try resolver.answer(loopbackPorts: [b.port])
        #expect(try await Polling.until(every: .milliseconds(20)) { try await Self.answer(proxy) == "b" })
        gate.open()
        #expect(try await held == "a")
        #expect(await a.waitForOpenConnectionsToClose())
        #expect(try await Self.answer(proxy) == "b")
        try await Self.stop(proxy, a, b)
    }

    /// A server marked down for refusing connections is no longer marked once its name resolves
    /// elsewhere: the failover target is used at once, not after the cool-down or the next probe.
    @Test func aNewAddressClearsTheFailureMark() async throws {
        let (logger, log) = RecordingLogHandler.logger()
        let (proxy, resolver, a, b) = try await Self.start(logger: logger)
        try resolver.answer(loopbackPorts: [try closedPort()])
        #expect(try await Polling.until { log.messages(at: .info).contains { $0.contains("resolves to other addresses") } })
        #expect(try await Self.answer(proxy) == "502")
        #expect(!proxy.server.upstreamServers.isAvailable(0))
        try resolver.answer(loopbackPorts: [b.port])
        #expect(try await Polling.until { log.messages(at: .info).count { $0.contains("resolves to other addresses") } == 2 })
        #expect(proxy.server.upstreamServers.isAvailable(0))
        #expect(try await Self.answer(proxy) == "b")
        try await Self.stop(proxy, a, b)
    }

    /// A lookup that fails (NXDOMAIN, a DNS server down) keeps the last good address: the origin
    /// is still there. Each failure is counted; the log says so once per streak of failures.
    @Test func aFailedLookupKeepsTheLastAddressAndIsCountedAndLoggedOncePerStreak() async throws {
        let (logger, log) = RecordingLogHandler.logger()
        let (proxy, resolver, a, b) = try await Self.start(logger: logger)
        resolver.fail()
        let failures = { @Sendable () async throws -> Double in
            let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
            return metrics.value(GatehouseMetrics.Name.upstreamResolveFailures, ["server": "http://origin.test:80"]) ?? -1
        }
        #expect(try await Polling.until { try await failures() >= 3 })
        #expect(try await Self.answer(proxy) == "a")
        #expect(log.messages(at: .error).filter { $0.contains("origin.test") }.count == 1)
        // An answer with no address at all is a failure too, not an empty server.
        resolver.answerNothing()
        let failed = try await failures()
        #expect(try await Polling.until { try await failures() >= failed + 2 })
        #expect(try await Self.answer(proxy) == "a")
        // A lookup that works ends the streak; the next failure is logged again.
        try resolver.answer(loopbackPorts: [a.port])
        #expect(try await Polling.until { log.messages(at: .info).contains { $0.contains("resolves again") } })
        resolver.fail()
        #expect(try await Polling.until { log.messages(at: .error).filter { $0.contains("origin.test") }.count == 2 })
        #expect(try await Self.answer(proxy) == "a")
        try await Self.stop(proxy, a, b)
    }

    /// `resolve_interval: 0` resolves at start only, as before: the name stays on A.
    @Test func aZeroIntervalNeverResolvesAgain() async throws {
        let (proxy, resolver, a, b) = try await Self.start(interval: .zero)
        try resolver.answer(loopbackPorts: [b.port])
        // No event marks a lookup that does not happen: wait the time of several 100ms intervals.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await Self.answer(proxy) == "a")
        #expect(resolver.lookups == 1)
        try await Self.stop(proxy, a, b)
    }

    /// A reload that turns resolving on (or changes its interval) applies it: from 0 to 100ms,
    /// the name is followed from then on.
    @Test func aReloadAppliesTheInterval() async throws {
        let file = ReloadFile.path()
        defer { try? FileManager.default.removeItem(at: file) }
        let (proxy, resolver, a, b) = try await Self.start(interval: .zero, configPath: file.path)
        try ReloadFile.text(server: Self.origin.description, upstreamLines: "  resolve_interval: 100ms")
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(await proxy.server.reload())
        try resolver.answer(loopbackPorts: [b.port])
        #expect(try await Polling.until(every: .milliseconds(20)) { try await Self.answer(proxy) == "b" })
        try await Self.stop(proxy, a, b)
    }

    /// A name with several addresses (a load balancer's) has new connections round robin over
    /// all of them, as Envoy balances over every address of a STRICT_DNS cluster.
    @Test func everyAddressOfANameIsUsed() async throws {
        let (proxy, _, a, b) = try await Self.start(interval: .zero, initialPorts: { [$0.a, $0.b] }, pooled: false)
        var answers: Set<String> = []
        for _ in 0..<8 {
            // Each loop alternates, and with 8 requests over the loops one of them has several.
            answers.insert(try await Self.answer(proxy))
        }
        #expect(answers == ["a", "b"])
        try await Self.stop(proxy, a, b)
    }

    /// An address of a name that refuses connections (one instance of a load balancer gone) is
    /// passed over for the name's next address: no request fails for it.
    @Test func aRefusingAddressOfANameIsPassedOver() async throws {
        let refusing = try closedPort()
        let (proxy, _, a, b) = try await Self.start(interval: .zero, initialPorts: { [refusing, $0.a] }, pooled: false)
        for _ in 0..<6 {
            #expect(try await Self.answer(proxy) == "a")
        }
        try await Self.stop(proxy, a, b)
    }

    /// The machine's resolver (getaddrinfo) resolves "localhost" to loopback addresses with the
    /// port asked for, and refuses a name that cannot exist (RFC 6761 .invalid).
    @Test func theSystemResolverResolvesLocalhostAndRefusesAnUnknownName() throws {
        let addresses = try SystemAddressResolver().addresses(host: "localhost", port: 8080)
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { ["127.0.0.1", "::1"].contains($0.ipAddress ?? "") && $0.port == 8080 })
        #expect(Set(addresses).count == addresses.count)
        #expect(throws: UpstreamResolveError.self) {
            try SystemAddressResolver().addresses(host: "no-such-host.invalid", port: 80)
        }
    }
}
