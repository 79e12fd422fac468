// AdminConnectionLimitTests: the admin listener holds at most AdminListener.maxConnections connections.
@testable import GatehouseServer
import GatehouseTesting
import Testing

/// Admin connections were bounded in time (idle_timeout, read_header_timeout) but not in
/// number: anyone reaching `admin_listen` could hold as many descriptors, the proxy's, as they
/// opened. Past the cap a connection is refused the way the public port refuses one past
/// `max_connections`, and the public port's own count is not touched.
@Suite struct AdminConnectionLimitTests {
    @Test func connectionsPastTheCapGet503AndAClosedOneFreesItsPlace() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.maxConnections = 2
        }
        var held: [RawHTTPConnection] = []
        for _ in 0..<AdminListener.maxConnections {
            let connection = try await RawHTTPConnection.connect(port: proxy.adminPort)
            held.append(connection)
        }
        // Answered, so each has been accepted and counted before the next test step.
        for connection in held {
            try await connection.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await connection.readResponse()?.status == 200)
        }

        let over = try await RawHTTPConnection.connect(port: proxy.adminPort)
        let refused = try #require(try await over.readResponse())
        #expect(refused.status == 503)
        #expect((refused.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "UNAVAILABLE")
        #expect(try await over.waitForClose())
        try await over.close()

        // The public port has a cap of its own (2 here), untouched by the admin connections.
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/").status == 200)
        try await client.close()

        // A closed admin connection frees its place (the proxy sees the close a moment later;
        // until then a new one is refused, and may be closed before the request is written).
        try await held.removeLast().close()
        let admitted = try await Polling.until {
            let next = try await RawHTTPConnection.connect(port: proxy.adminPort)
            try? await next.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let status = try? await next.readResponse()?.status
            try? await next.close()
            return status == 200
        }
        #expect(admitted)

        for connection in held {
            try await connection.close()
        }
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
