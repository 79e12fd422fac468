// SlowClientTests: a client that trickles or stalls a request body is cut at a bounded time, and the
// upstream connection it pinned is released (issue 8, slowloris on the body).
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
        // response_timeout bounds the upstream side: each exchange is given up and its connection closed...
        #expect(await upstream.waitForOpenConnectionsToClose(timeout: .seconds(10)))
        for (name, connection) in [("trickling", trickling), ("stalled", stalled)] {
            // ...and the client is told so.
            let response = try #require(try await connection.readResponse(timeout: .seconds(10)), "\(name)")
            #expect(response.status == 504, "\(name)")
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
}
