// AdminConnectionTimerTests: the admin listener closes idle connections and times out slow requests.
import GatehouseCore
import GatehouseTesting
import Testing

/// The admin listener held a connection open for ever: idle, or sending its head one byte at a
/// time. Its descriptors are the proxy's, so `idle_timeout` and `read_header_timeout` apply there
/// as on the proxy listener.
@Suite struct AdminConnectionTimerTests {
    private static func start() async throws -> (ProxyHarness, TestUpstreamServer) {
        try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.idleTimeout = .seconds(1)
            config.server.readHeaderTimeout = .seconds(1)
        }
    }

    @Test func aRequestNotCompleteWithinReadHeaderTimeoutIsAnswered408() async throws {
        let (proxy, upstream) = try await Self.start()
        let connection = try await RawHTTPConnection.connect(port: proxy.adminPort)
        try await connection.write("GET /health HTTP/1.1\r\nHost: x\r\n")
        let response = try #require(try await connection.readResponse(timeout: .seconds(30)))
        #expect(response.status == 408)
        #expect((response.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "REQUEST_TIMEOUT")
        #expect(try await connection.waitForClose(timeout: .seconds(30)))
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func idleConnectionsCloseAfterIdleTimeout() async throws {
        let (proxy, upstream) = try await Self.start()
        let silent = try await RawHTTPConnection.connect(port: proxy.adminPort)
        #expect(try await silent.waitForClose(timeout: .seconds(30)))
        try await silent.close()
        // After an answer, a keep-alive connection waits for its next request as long, no longer.
        let used = try await RawHTTPConnection.connect(port: proxy.adminPort)
        try await used.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await used.readResponse()?.status == 200)
        try await used.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await used.readResponse()?.status == 200)
        #expect(try await used.waitForClose(timeout: .seconds(30)))
        try await used.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
