// UpstreamKeepaliveTimeoutTests: pooled upstream connections are not reused past keepalive_timeout or the origin's Keep-Alive: timeout.
import Foundation
import GatehouseCore
@testable import GatehouseServer
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Waiting for time to pass is what these tests are about: the waits are the idle periods.
@Suite struct UpstreamKeepaliveTimeoutTests {
    private static let ok = Array("ok".utf8)

    /// Which connection carried each request the origin received, numbered from 0 in the order
    /// they first carried one (the prober's connects take numbers too).
    private static func connections(of upstream: TestUpstreamServer) -> [Int] {
        var order: [Int] = []
        return upstream.receivedRequests.map { request in
            if let index = order.firstIndex(of: request.connectionNumber) { return index }
            order.append(request.connectionNumber)
            return order.count - 1
        }
    }

    /// An origin that closes a connection left idle longer than 500 ms (as Node.js does after
    /// 5 s): the race with that close made deterministic, the close happening when the next
    /// request arrives on it, read and left unanswered. With `keepalive_timeout` shorter than
    /// the origin's, the POST goes on a fresh connection and gets its 200; reusing the old one,
    /// it got a 502 (a POST is not retried).
    @Test func aPostAfterTheOriginsIdleTimeoutGoesOnAFreshConnection() async throws {
        let lastRequestAt = NIOLockedValueBox<[Int: NIODeadline]>([:])
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            let now = NIODeadline.now()
            let idledTooLong = lastRequestAt.withLockedValue { seen in
                defer { seen[request.connectionNumber] = now }
                return seen[request.connectionNumber].map { now - $0 > .milliseconds(500) } ?? false
            }
            return idledTooLong ? .closeWithoutResponse : .respond(body: Self.ok)
        }) { config in
            config.upstream.keepaliveTimeout = .milliseconds(200)
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/warm").status == 200)
        try await Task.sleep(for: .milliseconds(700))
        #expect(try await client.send("POST", "/job", body: Array("x".utf8)).status == 200)
        #expect(Self.connections(of: upstream) == [0, 1])
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Sends a GET after each of `pauses` through a proxy whose `keepalive_timeout` is a minute
    /// to an origin whose every response says `Keep-Alive: keepAlive`; returns `connections(of:)`.
    private static func connectionsCarryingGETs(keepAlive: String, after pauses: [Duration]) async throws -> [Int] {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Keep-Alive", keepAlive)], body: Self.ok)
        }) { config in
            config.upstream.keepaliveTimeout = .seconds(60)
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for pause in pauses {
            try await Task.sleep(for: pause)
            #expect(try await client.send("GET", "/").status == 200)
        }
        let connections = Self.connections(of: upstream)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
        return connections
    }

    /// `Keep-Alive: timeout=2` from the origin: the connection is reused for a second (2 s less
    /// undici's margin), then a fresh one is made, though `keepalive_timeout` is a minute.
    @Test func theOriginsAnnouncedTimeoutLessASecondLimitsReuse() async throws {
        let connections = try await Self.connectionsCarryingGETs(keepAlive: "timeout=2", after: [.zero, .zero, .milliseconds(1_200)])
        #expect(connections == [0, 0, 1])
    }

    /// `Keep-Alive: timeout=1`: the origin may close within the second the margin allows, so the
    /// connection is not kept at all.
    @Test func anAnnouncedTimeoutOfOneSecondIsNotPooled() async throws {
        #expect(try await Self.connectionsCarryingGETs(keepAlive: "timeout=1, max=100", after: [.zero, .zero]) == [0, 1])
    }

    /// An idle connection past `keepalive_timeout` on a loop no request comes to is closed by
    /// the pool's sweep, not held open (and its descriptor with it) until the next request.
    @Test func theSweepClosesIdleConnectionsPastTheirLimit() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(body: Self.ok) }) { config in
            config.upstream.keepaliveTimeout = .milliseconds(300)
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/").status == 200)
        // Released to the pool before the response reached the client: idle now.
        #expect(await upstream.waitForOpenConnectionsToClose(timeout: .seconds(5)))
        #expect(client.isOpen)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A connection used again shortly before a sweep was due closes when its own limit passes
    /// after that use, not up to a whole `keepalive_timeout` later: the sweep is due at the first
    /// idle connection's limit (it used to run every `keepalive_timeout`, and this one closed
    /// 4.5 s after its use where the limit is 3 s).
    @Test func anIdleConnectionClosesWhenItsLimitPasses() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(body: Self.ok) }) { config in
            config.upstream.keepaliveTimeout = .seconds(3)
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/first").status == 200)
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(try await client.send("GET", "/second").status == 200)
        #expect(Self.connections(of: upstream) == [0, 0])
        // Idle again from now: open 2 s on, closed by 3.6 s (its limit passes at 3 s; the old
        // sweep, due 3 s after the first request, found it fit and came back 3 s later).
        #expect(await !upstream.waitForOpenConnectionsToClose(timeout: .milliseconds(2_000)))
        #expect(await upstream.waitForOpenConnectionsToClose(timeout: .milliseconds(1_600)))
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A reload that changes `keepalive_timeout` applies it, like the other upstream keys: with
    /// 300 ms, the sweep closes the idle connection well before the 4 s default would.
    @Test func aReloadAppliesANewKeepaliveTimeout() async throws {
        let upstream = try await TestUpstreamServer.start(always: .respond(body: Self.ok))
        let (proxy, file, base) = try await ReloadFile.start(before: upstream)
        defer { try? FileManager.default.removeItem(at: file) }
        try (base + "\n  keepalive_timeout: 300ms\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(await proxy.server.reload())
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
        #expect(await upstream.waitForOpenConnectionsToClose(timeout: .seconds(3)))
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
