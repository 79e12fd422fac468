// SlowClientTests: a client that trickles or stalls a request body is cut at a bounded time, and the
// upstream connection it pinned is released (issue 8, slowloris on the body; since the upload
// issue, by server.min_body_rate and idle_timeout rather than the response timeout).
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

@Suite struct SlowClientTests {
    /// Declares a 1 MiB body and sends 1,000 bytes of it; then, when `trickles`, one more byte
    /// every 200 ms (about 58 hours for the rest), else nothing. The task paces the client, it
    /// does not synchronise the test: it stops on its own once the connection is cut.
    private static func startSlowUpload(port: Int, trickles: Bool) async throws -> (RawHTTPConnection, Task<Void, Never>) {
        let connection = try await RawHTTPConnection.connect(port: port)
        try await connection.write("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\n" + String(repeating: "x", count: 1_000))
        let trickle = Task {
            while trickles && connection.isOpen && !Task.isCancelled {
                try? await connection.write("x")
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        return (connection, trickle)
    }

    /// A proxy (1 s idle timeout) whose cache holds `body` at /big (Host: t): a hit of it is
    /// queued whole at once (a memory file, by sendfile).
    private static func startWithStoredHit(_ body: [UInt8]) async throws -> (ProxyHarness, TestUpstreamServer) {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60")], body: body)
        }) { config in
            config.cache.maxObjectSize = 16 << 20
            config.server.idleTimeout = .seconds(1)
            config.server.readHeaderTimeout = .seconds(1)
        }
        let warm = try await TestHTTPClient.request(port: proxy.port, "GET", "/big", headers: [("Host", "t")])
        let warmed = warm.body == body  // a failed #expect on the arrays would print them
        #expect(warmed)
        return (proxy, upstream)
    }

    /// ...and one that takes nothing of it is closed all the same, within two idle timeouts.
    @Test func aClientThatTakesNothingOfAHitIsClosed() async throws {
        let (proxy, upstream) = try await Self.startWithStoredHit(patternedBytes(6 << 20))
        let stalled = SmallWindowSocket(port: proxy.port)
        defer { stalled.close() }
        stalled.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        // Bounded wait on the gauge, read every 100 ms.
        var open = 1.0
        for _ in 0..<100 where open != 0 {
            try await Task.sleep(for: .milliseconds(100))
            let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
            open = metrics.value("gatehouse_connections_active") ?? 1
        }
        #expect(open == 0)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A large hit to a client that reads slowly but steadily outlasts `idle_timeout` after it
    /// was queued, and still arrives whole: the idle timer closes only a client that took
    /// nothing of it since its last look (it closed mid-download, dropping the unsent rest).
    @Test func aSlowReaderGetsAResponseThatOutlastsTheIdleTimeout() async throws {
        let body = patternedBytes(6 << 20)
        let (proxy, upstream) = try await Self.startWithStoredHit(body)
        let slow = SmallWindowSocket(port: proxy.port)
        defer { slow.close() }
        slow.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        let (head, received) = await slow.readResponse(chunk: 16_384, pause: .milliseconds(1))
        #expect(head.contains("gatehouse; hit"))
        #expect(received.count == body.count)
        let whole = received == body  // a failed #expect on the arrays would print 12 MiB
        #expect(whole)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A proxy (cache off, 1 s response timeout) in front of an origin streaming `length` bytes
    /// as fast as the proxy takes them.
    private static func startStreaming(length: Int, idleTimeout: Duration = .seconds(60)) async throws -> (ProxyHarness, TestUpstreamServer) {
        try await ProxyHarness.start(behaviour: { _ in .stream(length: length, pattern: Array("0123456789".utf8)) }) { config in
            config.cache.store = .off
            config.upstream.responseTimeout = .seconds(1)
            config.server.idleTimeout = idleTimeout
        }
    }

    /// A client that stops reading a relayed response for longer than `response_timeout` and
    /// then reads on (a media player whose buffer is full) gets all of it: backpressure holds
    /// the origin back, so the origin is not the one being waited for (nginx's
    /// proxy_read_timeout does not run while nginx is not reading), and it is no upstream error.
    @Test func aClientPausingLongerThanTheResponseTimeoutGetsTheWholeResponse() async throws {
        let length = 8 << 20
        let (proxy, upstream) = try await Self.startStreaming(length: length)
        let client = SmallWindowSocket(port: proxy.port)
        defer { client.close() }
        client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await client.readHead()?.hasPrefix("HTTP/1.1 200") == true)
        let first = await client.readBytes(65_536)
        try await Task.sleep(for: .seconds(3))  // the client's pause under test, three response timeouts
        let rest = await client.readBytes(length - first.count)
        #expect(first.count + rest.count == length)
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_upstream_errors_total", ["kind": "timeout"]) == nil)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// ...and one that takes nothing of it for `idle_timeout` is closed (nginx's send_timeout),
    /// with its upstream connection.
    @Test func aClientThatTakesNothingOfARelayedResponseIsClosed() async throws {
        let (proxy, upstream) = try await Self.startStreaming(length: 64 << 20, idleTimeout: .seconds(1))
        let stalled = SmallWindowSocket(port: proxy.port)
        defer { stalled.close() }
        stalled.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        #expect(await upstream.waitForOpenConnectionsToClose(timeout: .seconds(20)))
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func slowRequestBodiesAreCutInBoundedTime() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .drainRequestThenRespond() }) { config in
            config.upstream.responseTimeout = .seconds(1)
            config.server.idleTimeout = .seconds(1)
            config.server.readHeaderTimeout = .seconds(1)
        }
        // Both shapes at once, so the test waits out its bounds once.
        let (trickling, trickle) = try await Self.startSlowUpload(port: proxy.port, trickles: true)
        let (stalled, _) = try await Self.startSlowUpload(port: proxy.port, trickles: false)
        defer { trickle.cancel() }
        #expect(await upstream.waitForRequests(2))
        // The body falls behind the minimum rate (trickling: 1 s + 2 s earned by the first 1,000
        // bytes) or stalls past idle_timeout: each exchange is given up and its upstream
        // connection closed...
        #expect(await upstream.waitForOpenConnectionsToClose(timeout: .seconds(10)))
        for (name, connection) in [("trickling", trickling), ("stalled", stalled)] {
            // ...and the client is told so: the wait was for it, not for the origin.
            let response = try #require(try await connection.readResponse(timeout: .seconds(10)), "\(name)")
            #expect(response.status == 408, "\(name)")
            #expect(response.header("content-type") == "application/json", "\(name)")
        }
        // Then the client connections must go too: reading the rest of a body nobody will get
        // only holds a connection slot for as long as the client likes.
        async let trickledCut = trickling.waitForClose(timeout: .seconds(10))
        async let stalledCut = stalled.waitForClose(timeout: .seconds(10))
        let cuts = try await (trickling: trickledCut, stalled: stalledCut)
        #expect(cuts.trickling, "client connection still open while trickling")
        #expect(cuts.stalled, "client connection still open after the client stalled")
        try await trickling.close()
        try await stalled.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The minimum rate, not the response timeout (30 s by default), is what cuts a trickled
    /// body: 1 s plus a second per 500 bytes received, so about 3 s for this one. idle_timeout
    /// (60 s) cannot either: a byte comes every 200 ms.
    @Test func aBodyTrickledBelowTheMinimumRateIsCutWith408() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .drainRequestThenRespond() }) { config in
            config.server.readHeaderTimeout = .seconds(1)
        }
        let (trickling, trickle) = try await Self.startSlowUpload(port: proxy.port, trickles: true)
        defer { trickle.cancel() }
        let response = try #require(try await trickling.readResponse(timeout: .seconds(15)))
        #expect(response.status == 408)
        #expect(response.header("content-type") == "application/json")
        let error = response.jsonObject()?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "REQUEST_TIMEOUT")
        #expect(try await trickling.waitForClose(timeout: .seconds(10)))
        #expect(await upstream.waitForOpenConnectionsToClose(timeout: .seconds(10)))
        try await trickling.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
