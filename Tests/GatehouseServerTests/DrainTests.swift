// DrainTests: a drain finishes what is in flight, closes the rest, and reports itself on /health.
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

@Suite struct DrainTests {
    /// The origin holds /slow's answer until the drain has shown on the admin endpoints.
    @Test func inFlightRequestsFinishAndIdleConnectionsClose() async throws {
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/slow"
                ? .gated(gate, then: .respond(body: Array("done".utf8)))
                : .respond(body: Array("quick".utf8))
        })
        let idle = try await RawHTTPConnection.connect(port: proxy.port)
        try await idle.write("GET /quick HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await idle.readResponse()?.status == 200)
        let busy = try await TestHTTPClient.connect(port: proxy.port)
        async let slow = busy.send("GET", "/slow")
        #expect(await upstream.waitForRequests(2))

        let drained = proxy.server.beginDrain()
        let health = try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/health")
        #expect(health.status == 503)
        #expect(health.jsonObject()?["status"] as? String == "draining")
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_draining") == 1)
        gate.open()

        let response = try await slow
        #expect(response.status == 200)
        #expect(response.bodyString == "done")
        #expect(response.header("connection") == "close")
        try await drained.get()
        #expect(try await idle.waitForClose(timeout: .seconds(5)))
        #expect(proxy.server.activeConnections == 0)
        // No new connections once draining.
        await #expect(throws: (any Error).self) {
            _ = try await TestHTTPClient.request(port: proxy.port, "GET", "/quick", timeout: .seconds(2))
        }
        #expect(await proxy.server.drain(timeout: .seconds(5)))
        try await upstream.shutdown()
    }

    /// A response whose head went out keep-alive before the drain promised the client the
    /// connection: a request it pipelined behind is answered (with `Connection: close`), not
    /// dropped with the connection.
    @Test func aRequestPipelinedBehindAResponseStartedBeforeTheDrainIsAnswered() async throws {
        try await drainDuringALargeResponse(
            sending: "GET /big HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n", thenSending: nil
        )
    }

    /// The same without pipelining: a client that reads the keep-alive response to its end and
    /// then sends a POST on the connection (as any HTTP client reuses one) gets an answer, not a
    /// closed connection its POST cannot safely be retried after.
    @Test func aClientReusingAConnectionWhoseResponseBeganBeforeTheDrainIsAnswered() async throws {
        try await drainDuringALargeResponse(
            sending: "GET /big HTTP/1.1\r\nHost: t\r\n\r\n",
            thenSending: "POST /after HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi"
        )
    }

    /// A head that is half in when the grace ends is a request on its way: it is answered
    /// (with `Connection: close`), not cut with the connection.
    @Test func aHeadHalfReceivedWhenTheGraceEndsIsAnswered() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .text("answered") })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /first HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse()?.status == 200)
        let drained = proxy.server.beginDrain()
        try await connection.write("GET /second HTTP/1.1\r\nHo")
        // The client's pause is what is tested: longer than the 1 s grace.
        try await Task.sleep(for: .milliseconds(1_500))
        try await connection.write("st: t\r\n\r\n")
        let second = try #require(try await connection.readResponse())
        #expect(second.status == 200)
        #expect(second.header("connection") == "close")
        try await drained.get()
        try await upstream.shutdown()
    }

    /// Starts a 4 MiB response to `GET /big` (too large for the sockets' buffers, so the exchange
    /// is still going on when its head has arrived), drains, reads the rest, sends `thenSending`
    /// if any, and expects the second request's answer with `Connection: close`.
    private func drainDuringALargeResponse(sending first: String, thenSending second: String?) async throws {
        let length = 4 << 20
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/big" ? .stream(length: length, pattern: Array("0123456789".utf8)) : .text("after")
        })
        let client = SmallWindowSocket(port: proxy.port)
        defer { client.close() }
        client.send(first)
        let head = try #require(await client.readHead())
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(!head.lowercased().contains("connection: close"))

        let drained = proxy.server.beginDrain()
        #expect(await client.readBytes(length).count == length)
        if let second {
            client.send(second)
        }
        let after = await client.readResponse()
        #expect(after.head.hasPrefix("HTTP/1.1 200"))
        #expect(after.head.lowercased().contains("connection: close"))
        #expect(String(decoding: after.body, as: UTF8.self) == "after")
        try await drained.get()
        #expect(await client.readBytes(1).isEmpty)  // closed after it
        #expect(upstream.requestCount == 2)
        try await upstream.shutdown()
    }

    @Test func drainTimeoutCutsWhatIsLeft() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .hang })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        let drained = await proxy.server.drain(timeout: .milliseconds(300))
        #expect(!drained)
        #expect(try await connection.waitForClose(timeout: .seconds(5)))
        try await upstream.shutdown()
    }
}
