// OriginFramingTests: an origin's framing, however it misstates it, reaches the client restated or refused, never mangled.
import GatehouseTesting
import NIOCore
import Testing

@Suite struct OriginFramingTests {
    /// What the raw origins below answer to any other request: `ok <path>`, framed by its length.
    static func ok(_ requestLine: String) -> RawTestOriginStep {
        let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        return .write("HTTP/1.1 200 OK\r\nContent-Length: \(path.utf8.count + 3)\r\n\r\nok \(path)")
    }

    /// `Connection: Content-Length` names the length as hop-by-hop. It was dropped as such while
    /// the framing was still picked from it: the client got a head with neither Content-Length
    /// nor Transfer-Encoding on a connection kept open, and could only read to a close that
    /// never came (a pipelining client, or a pool in front, would desync instead).
    @Test func aConnectionOptionNamingTheLengthLeavesTheResponseFramedByIt() async throws {
        let origin = try await RawTestOrigin.start { line, _ in
            line.hasPrefix("GET /conn-cl ")
                ? [.write("HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello")]
                : [Self.ok(line)]
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        let pipelined = try await RawHTTPConnection.connect(port: proxy.port)
        try await pipelined.write("GET /conn-cl HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n")
        let first = try #require(try await pipelined.readResponse(timeout: .seconds(3)))
        #expect(first.headerValues("content-length") == ["5"])
        #expect(first.header("transfer-encoding") == nil)
        #expect(first.bodyString == "hello")
        let second = try #require(try await pipelined.readResponse(timeout: .seconds(3)))
        #expect(second.bodyString == "ok /after")

        // An HTTP/1.0 client is kept alive only with a length: it must get it too.
        let old = try await RawHTTPConnection.connect(port: proxy.port)
        try await old.write("GET /conn-cl HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n")
        let response = try #require(try await old.readResponse(timeout: .seconds(3)))
        #expect(response.headerValues("content-length") == ["5"])
        #expect(response.header("connection") == "keep-alive")
        #expect(response.bodyString == "hello")
        try await old.write("GET /again HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n")
        #expect(try await old.readResponse(timeout: .seconds(3))?.bodyString == "ok /again")
        try await pipelined.close()
        try await old.close()
        try await proxy.stop()
        try await origin.shutdown()
    }

    /// The request direction, checked for the same: the origin gets the client's body framed by
    /// its length (restated from the body's framing), and the connection goes on.
    @Test func aClientConnectionOptionNamingTheLengthLeavesTheRequestFramedByIt() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .drainRequestThenRespond() })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write(
            "POST /upload HTTP/1.1\r\nHost: t\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /next HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        #expect(try await connection.readResponse(timeout: .seconds(3))?.bodyString == "{\"received\": 5}")
        #expect(try await connection.readResponse(timeout: .seconds(3))?.status == 200)
        let upload = try #require(upstream.receivedRequests.first { $0.uri == "/upload" })
        #expect(upload.headerValues("content-length") == ["5"])
        #expect(upload.header("connection") == nil)
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A 204 (or a 1xx) that declares a body it must not have (RFC 9110 §8.6, §15.3.5), the body
    /// sent a moment later: the connection went back to the pool, and those bytes became the
    /// answer to the next request on it (here a cacheable one, stored and served as hits).
    /// Now the connection is not reused, and the 204's bogus length is not passed on.
    @Test(arguments: [
        "HTTP/1.1 204 No Content\r\nContent-Length: 64\r\n\r\n",
        "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 103 Early Hints\r\nContent-Length: 64\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ])
    func aResponseDeclaringABodyItMustNotHaveEndsItsConnection(answer: String) async throws {
        let poison = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nCache-Control: max-age=600\r\n\r\nPOISONED"
        let late = TestGate()
        let origin = try await RawTestOrigin.start { line, _ in
            line.hasPrefix("GET /declares ") ? [.write(answer), .waitFor(late), .write(poison)] : [Self.ok(line)]
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        // One client connection: its requests share an event loop, so an upstream pool.
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /declares HTTP/1.1\r\nHost: t\r\n\r\n")
        let first = try #require(try await connection.readResponse(timeout: .seconds(3)))
        if first.status == 204 {
            #expect(first.headerValues("content-length").isEmpty, "a 204 states no length (RFC 9110 §8.6)")
            #expect(first.header("transfer-encoding") == nil)
        } else {
            #expect(first.bodyString == "ok")
        }
        for round in 0..<2 {
            try await connection.write("GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
            if round == 0 {
                // The late bytes come once the next request is upstream, as in the report.
                #expect(try await Polling.until { !Self.connections(of: "/next", at: origin).isEmpty })
                late.open()
            }
            let next = try #require(try await connection.readResponse(timeout: .seconds(3)))
            #expect(next.bodyString == "ok /next")
        }
        let next = Self.connections(of: "/next", at: origin)
        #expect(next.count == 1, "the requests after it share a fresh connection")
        #expect(next.isDisjoint(with: Self.connections(of: "/declares", at: origin)), "not the one of the 204 or 1xx")
        try await connection.close()
        try await proxy.stop()
        try await origin.shutdown()
    }

    /// The numbers of the connections that carried requests for `path` (the proxy's health
    /// probe opens connections of its own, with no request).
    static func connections(of path: String, at origin: RawTestOrigin) -> Set<Int> {
        Set(origin.requests.filter { $0.line.hasPrefix("GET \(path) ") }.map(\.connection))
    }

    /// A transfer coding other than chunked alone (and any from an HTTP/1.0 server, where it is
    /// faulty framing): Transfer-Encoding is hop-by-hop, so the body reached the client stripped
    /// of its coding, gzip bytes served as content. A proxy may remove a coding only by decoding
    /// it (RFC 9112 §6.1): 502, counted as an invalid response, and the connection not reused.
    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\nzz", true),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n", false),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n", false),
        ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n", true),
    ])
    func aTransferCodingTheProxyCannotRemoveIs502(answer: String, closes: Bool) async throws {
        let origin = try await RawTestOrigin.start { line, _ in
            line.hasPrefix("GET /coded ") ? [.write(answer)] + (closes ? [.close] : []) : [Self.ok(line)]
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /coded HTTP/1.1\r\nHost: t\r\n\r\n")
        let refused = try #require(try await connection.readResponse(timeout: .seconds(3)))
        #expect(refused.status == 502)
        #expect(refused.header("content-type") == "application/json")
        let error = try #require(refused.jsonObject()?["error"] as? [String: Any])
        #expect(error["code"] as? String == "BAD_GATEWAY")
        try await connection.write("GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse(timeout: .seconds(3))?.bodyString == "ok /next")
        #expect(Self.connections(of: "/next", at: origin).isDisjoint(with: Self.connections(of: "/coded", at: origin)))
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_upstream_errors_total", ["kind": "invalid_response"]) == 1)
        try await connection.close()
        try await proxy.stop()
        try await origin.shutdown()
    }

    /// A length given as a list of one repeated number, or in several fields, was passed on as
    /// it came: RFC 9110 §8.6 has a recipient that accepts it replace it with one value. So do
    /// responses to HEAD, whose length is the one a GET would have had.
    @Test(arguments: ["Content-Length: 5, 5\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n"])
    func aRepeatedLengthReachesTheClientAsOne(lengthFields: String) async throws {
        let origin = try await RawTestOrigin.start { line, _ in
            [.write("HTTP/1.1 200 OK\r\n\(lengthFields)\r\n" + (line.hasPrefix("HEAD ") ? "" : "hello"))]
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /listed HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try #require(try await connection.readResponse(timeout: .seconds(3)))
        #expect(response.headerValues("content-length") == ["5"])
        #expect(response.bodyString == "hello")
        try await connection.write("HEAD /listed-head HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try #require(try await connection.readResponse(forHEAD: true, timeout: .seconds(3)))
        #expect(head.headerValues("content-length") == ["5"])
        try await connection.close()
        try await proxy.stop()
        try await origin.shutdown()
    }

    /// The origin's head, its first bytes of body and then a malformed chunk come in one read.
    /// The head waited for the end of that read, so nothing had reached the client; it got a
    /// cut connection all the same, and the request was counted and logged as the origin's 200.
    /// Now it gets a 502 on a connection that goes on, and the 502 is what is counted. (A close
    /// short of a declared length is seen after the read's end: the client has the head by
    /// then, and a cut connection is all that can tell it, as `UpstreamFailureTests` checks.)
    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
    ])
    func aResponseBrokenInItsFirstReadIsAnswered502(answer: String) async throws {
        let origin = try await RawTestOrigin.start { line, _ in
            line.hasPrefix("GET /broken ") ? [.write(answer), .close] : [Self.ok(line)]
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /broken HTTP/1.1\r\nHost: t\r\n\r\n")
        let refused = try #require(try await connection.readResponse(timeout: .seconds(3)))
        #expect(refused.status == 502)
        #expect(refused.header("content-type") == "application/json")
        #expect(refused.bodyString.contains("BAD_GATEWAY"))
        try await connection.write("GET /after HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse(timeout: .seconds(3))?.bodyString == "ok /after")
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_requests_total", ["method": "GET", "code": "502"]) == 1)
        #expect(metrics.value("gatehouse_requests_total", ["method": "GET", "code": "200"]) == 1)
        try await connection.close()
        try await proxy.stop()
        try await origin.shutdown()
    }
}
