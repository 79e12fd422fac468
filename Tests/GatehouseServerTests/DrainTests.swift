// DrainTests: a drain finishes what is in flight, closes the rest, and reports itself on /health.
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

@Suite struct DrainTests {
    @Test func inFlightRequestsFinishAndIdleConnectionsClose() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/slow"
                ? .delay(.seconds(2), then: .respond(body: Array("done".utf8)))
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
