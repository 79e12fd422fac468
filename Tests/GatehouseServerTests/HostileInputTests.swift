// HostileInputTests: malformed and ambiguous requests get a 4xx JSON answer or a close, never a crash,
// and nothing ambiguous reaches the upstream (issue 8, first part).
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

@Suite struct HostileInputTests {
    @Test(arguments: [
        ("obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n  folded\r\n\r\n"),
        ("NUL in a value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u{0}b\r\n\r\n"),
        ("space in a name", "GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n"),
        ("invalid method", "G@T / HTTP/1.1\r\nHost: t\r\n\r\n"),
        ("HTTP/2.0 on HTTP/1", "GET / HTTP/2.0\r\nHost: t\r\n\r\n"),
        ("unknown version", "GET / HTTP/1.7\r\nHost: t\r\n\r\n"),
        ("bad chunk extension", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;\u{1}=x\r\nhello\r\n0\r\n\r\n"),
        ("negative length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"),
        ("length with a plus", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello"),
        ("TE: chunked, identity", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
        ("CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        ("authority-form GET", "GET example.com:80 HTTP/1.1\r\nHost: t\r\n\r\n"),
        ("asterisk GET", "GET * HTTP/1.1\r\nHost: t\r\n\r\n"),
        // Bare LF: NIO's llhttp wants CRLF everywhere, so nothing built on a lone LF gets through.
        ("bare LF line endings", "GET / HTTP/1.1\nHost: t\n\n"),
        ("bare LF ending one field", "GET / HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n"),
        ("bare LF ending the last field", "GET / HTTP/1.1\r\nHost: t\r\nX-A: b\n\r\n"),
        ("bare LF between TE and CL", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\nContent-Length: 5\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"),
        // Host values the cache key and the origin could read differently (RFC 9112 §3.2: 400).
        ("userinfo in Host", "GET / HTTP/1.1\r\nHost: evil.example@t\r\n\r\n"),
        ("path in Host", "GET / HTTP/1.1\r\nHost: t/evil\r\n\r\n"),
        ("space in Host", "GET / HTTP/1.1\r\nHost: t evil\r\n\r\n"),
        ("bad port in Host", "GET / HTTP/1.1\r\nHost: t:80x\r\n\r\n"),
        ("userinfo in absolute-form", "GET http://evil.example@t/ HTTP/1.1\r\nHost: t\r\n\r\n"),
    ])
    func refusedAndNothingForwarded(name: String, request: String) async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .drainRequestThenRespond() })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write(request)
        if let response = try await connection.readResponse() {
            #expect((400..<500).contains(response.status), "\(name): \(response.status)")
            #expect(response.header("content-type") == "application/json", "\(name)")
        }
        // Either answered 4xx or cut; in both cases the upstream never saw it.
        #expect(upstream.requestCount == 0, "\(name) reached the upstream")
        try await connection.close()
        // The process is still serving.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/ok").status == 200)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A body that turns malformed after its request went upstream refuses that request: 400
    /// counted under its own method, and it leaves the in-flight gauge.
    @Test func aBodyMalformedMidwayIsCountedAsItsRequest() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .hang })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        #expect(await upstream.waitForRequests(1))
        try await connection.write("zz\r\n")
        let refusal = try #require(try await connection.readResponse())
        #expect(refusal.status == 400)
        #expect(refusal.header("date") != nil)
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_requests_in_flight") == 0)
        #expect(metrics.value("gatehouse_requests_total", ["method": "POST", "code": "400"]) == 1)
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func manySmallHeadersAre431() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        var request = "GET / HTTP/1.1\r\nHost: t\r\n"
        for index in 0..<5_000 {
            request += "X-\(index): v\r\n"
        }
        try await connection.write(request + "\r\n")
        let response = try #require(try await connection.readResponse())
        #expect(response.status == 431)
        #expect(upstream.requestCount == 0)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func pipelinedRequestAfterARefusalIsNotForwarded() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        let response = try #require(try await connection.readResponse())
        #expect(response.status == 400)
        #expect(try await connection.waitForClose())
        #expect(upstream.requestCount == 0)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func absurdlyLongRequestLineIs4xx() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.maxHeaderBytes = 8 * 1024
        }
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: t\r\n\r\n")
        if let response = try await connection.readResponse() {
            #expect((400..<500).contains(response.status))
        }
        #expect(upstream.requestCount == 0)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
