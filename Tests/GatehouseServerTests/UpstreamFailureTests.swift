// UpstreamFailureTests: refused, slow and resetting upstreams become 502/504 JSON or a cut connection.
import GatehouseCore
@testable import GatehouseServer
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct UpstreamFailureTests {
    @Test func refusedUpstreamIs502() async throws {
        let proxy = try await ProxyHarness.start(upstreamPorts: [try closedPort()])
        let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/")
        #expect(response.status == 502)
        #expect(response.header("content-type") == "application/json")
        let error = try #require(response.jsonObject()?["error"] as? [String: Any])
        #expect(error["code"] as? String == "BAD_GATEWAY")
        #expect(response.header("x-request-id") != nil)
        try await proxy.stop()
    }

    /// An upload answered 502 while its body is still arriving (reads were held while it waited
    /// for a connection) has the rest of its body read and dropped, so the connection goes on
    /// to the next request instead of hanging until the idle timeout.
    @Test func anUploadRefusedMidBodyLeavesTheConnectionUsable() async throws {
        let proxy = try await ProxyHarness.start(upstreamPorts: [try closedPort()])
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        let body = String(repeating: "x", count: 1 << 20)
        try await connection.write("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        #expect(try await connection.readResponse()?.status == 502)
        try await connection.write("GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse(timeout: .seconds(5))?.status == 502)
        try await connection.close()
        try await proxy.stop()
    }

    /// A pooled connection the origin closes before answering: a GET is sent again on a fresh
    /// connection, a POST is not (it may have been carried out) and gets 502.
    @Test(arguments: [("GET", 200, 3), ("POST", 502, 2)])
    func aDeadPooledConnectionIsRetriedForIdempotentMethodsOnly(method: String, status: Int, upstreamRequests: Int) async throws {
        let warmConnection = NIOLockedValueBox<Int?>(nil)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            if request.uri == "/warm" {
                warmConnection.withLockedValue { $0 = request.connectionNumber }
            }
            // The request after /warm on its pooled connection finds it closed under it.
            let reused = request.uri == "/job" && warmConnection.withLockedValue { $0 } == request.connectionNumber
            return reused ? .closeWithoutResponse : .respond(body: Array("ok".utf8))
        })
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/warm").status == 200)
        #expect(try await client.send(method, "/job").status == status)
        #expect(await upstream.waitForRequests(upstreamRequests))
        #expect(upstream.receivedRequests.filter { $0.uri == "/job" }.count == upstreamRequests - 1)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A proxy over two servers: the first closes every connection unanswered, the second answers "ok".
    private static func startBehindClosingThenHealthyServer() async throws
        -> (ProxyHarness, closing: TestUpstreamServer, healthy: TestUpstreamServer)
    {
        let closing = try await TestUpstreamServer.start(always: .closeWithoutResponse)
        let healthy = try await TestUpstreamServer.start(always: .respond(body: Array("ok".utf8)))
        let proxy = try await ProxyHarness.start(upstreamPorts: [closing.port, healthy.port])
        return (proxy, closing, healthy)
    }

    /// A server that accepts connections and closes them unanswered (an origin shutting down, a
    /// Docker port whose container is stopped) is not a 502 for every other GET: the request
    /// goes to the next server, as with nginx's `proxy_next_upstream error`.
    @Test func aServerThatClosesFreshConnectionsUnansweredIsPassedOver() async throws {
        let (proxy, closing, healthy) = try await Self.startBehindClosingThenHealthyServer()
        var statuses: [Int] = []
        for _ in 0..<6 {
            // A new client connection each time: each may land on either event loop.
            statuses.append(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status)
        }
        #expect(statuses == Array(repeating: 200, count: 6))
        #expect(closing.requestCount >= 1)  // it was tried: the round robin reached it
        try await proxy.stop()
        try await closing.shutdown()
        try await healthy.shutdown()
    }

    /// The only server closes one fresh connection unanswered (a restart's blip), which marks
    /// it failed; it is back at once, and the next request reaches it: with every server
    /// marked, Gatehouse still tries them (nginx never marks the only server down).
    @Test func aLoneServerMarkedFailedIsStillTried() async throws {
        let blip = FirstCallFlag()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            blip.take() ? .closeWithoutResponse : .respond(body: Array("ok".utf8))
        })
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/blip").status == 502)
        #expect(try await client.send("GET", "/next").status == 200)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Both servers briefly down: one refuses, the other closes one fresh connection unanswered
    /// and is back at once. With both marked failed the next request still tries them, each
    /// once, and gets the one that answers instead of a 502 without an attempt.
    @Test func whenEveryServerIsMarkedFailedEachIsStillTriedOnce() async throws {
        let blip = FirstCallFlag()
        let recovering = try await TestUpstreamServer.start { _ in
            blip.take() ? .closeWithoutResponse : .respond(body: Array("ok".utf8))
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [try closedPort(), recovering.port])
        // One client connection: one event loop's round robin, whichever server it starts at.
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/blip").status == 502)
        #expect(try await client.send("GET", "/next").status == 200)
        // The recovering server saw each request once: the blip was not sent to it twice.
        #expect(recovering.receivedRequests.map(\.uri) == ["/blip", "/next"])
        try await client.close()
        try await proxy.stop()
        try await recovering.shutdown()
    }

    /// With every server marked failed, a request whose fresh connection closes unanswered goes
    /// on to the other server, marked too but up, rather than get a 502.
    @Test func anUnansweredCloseMovesOnToAServerMarkedFailed() async throws {
        let (proxy, closing, healthy) = try await Self.startBehindClosingThenHealthyServer()
        // One client connection, one event loop: its round robin over two marked servers
        // starts one of these two requests at the closing server.
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for path in ["/first", "/second"] {
            proxy.server.upstreamServers.markFailed(0)
            proxy.server.upstreamServers.markFailed(1)
            #expect(try await client.send("GET", path).status == 200)
        }
        #expect(closing.requestCount >= 1)
        try await client.close()
        try await proxy.stop()
        try await closing.shutdown()
        try await healthy.shutdown()
    }

    /// A connect refused on a request's way to another server is counted, like an unanswered
    /// close on the way: the client never sees it, the operator must.
    @Test func aRefusedConnectPassedOverIsCounted() async throws {
        let upstream = try await TestUpstreamServer.start(always: .respond(body: Array("ok".utf8)))
        let proxy = try await ProxyHarness.start(upstreamPorts: [try closedPort(), upstream.port])
        // One event loop, the refusing server's mark cleared before each request: the loop's
        // round robin starts one of them there, which refuses, and the other server answers.
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for path in ["/first", "/second"] {
            proxy.server.upstreamServers.markHealthy(0)
            #expect(try await client.send("GET", path).status == 200)
        }
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_upstream_errors_total", ["kind": "connect"]) ?? 0 >= 1)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// An origin that refuses an upload by its head (413 before reading the body) and closes:
    /// the client gets the 413, the rest of its body is read and dropped, and its connection
    /// serves the next request (closing with the body unread would reset it).
    @Test func anAnswerBeforeTheBodyEndsLeavesTheClientConnectionUsable() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/upload" ? .respondBeforeBody(status: 413, body: Array("too big".utf8)) : .respond(body: Array("ok".utf8))
        })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        let length = 1 << 20
        try await connection.write("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(length)\r\n\r\n" + String(repeating: "x", count: 1_000))
        let refusal = try #require(try await connection.readResponse())
        #expect(refusal.status == 413)
        #expect(refusal.bodyString == "too big")
        try await connection.write(String(repeating: "x", count: length - 1_000) + "GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
        let next = try #require(try await connection.readResponse())
        #expect(next.bodyString == "ok")
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The same early answer to a request whose connection it closes (`Connection: close`, or
    /// HTTP/1.0): the connection used to close right after the answer, with the body still
    /// coming, so the body's next bytes met a reset and the client's writes failed; Python's
    /// http.client (requests, urllib3) then raised ConnectionResetError and never read the 413.
    /// The body is now read and dropped first, and then the connection closes (RFC 9112 §9.6).
    @Test(arguments: ["HTTP/1.1\r\nHost: t\r\nConnection: close", "HTTP/1.0"])
    func anAnswerBeforeTheBodyEndsThatClosesReadsTheBodyFirst(requestLineEnd: String) async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respondBeforeBody(status: 413, body: Array("too big".utf8))
        })
        try await Self.expectBodyReadBeforeTheClose(port: proxy.port, requestLine: "POST /upload \(requestLineEnd)", status: 413)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Sends a 4 MiB upload starting with `requestLine` (and its fields), expects it answered
    /// `status` with `Connection: close` after its first 64 KiB and the answer's FIN, then sends
    /// the rest: every write must go through (a connection closed with the body unread resets at
    /// its next bytes), with nothing more said.
    static func expectBodyReadBeforeTheClose(port: Int, requestLine: String, status: Int) async throws {
        let connection = try await RawHTTPConnection.connect(port: port, keepsWritingAfterFIN: true)
        let piece = String(repeating: "x", count: 64 * 1024)
        let pieces = 64
        try await connection.write("\(requestLine)\r\nContent-Length: \(piece.utf8.count * pieces)\r\n\r\n" + piece)
        let answer = try #require(try await connection.readResponse())
        #expect(answer.status == status)
        #expect(answer.header("connection")?.lowercased() == "close")
        #expect(try await connection.readResponse() == nil, "the answer's FIN, and nothing after it")
        for _ in 1..<pieces {
            try await connection.write(piece)  // threw once the reset came back
        }
        try await connection.close()
    }

    @Test func slowUpstreamIs504() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .hang }) { config in
            config.upstream.responseTimeout = .milliseconds(300)
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let response = try await client.send("GET", "/hang")
        #expect(response.status == 504)
        let error = try #require(response.jsonObject()?["error"] as? [String: Any])
        #expect(error["code"] as? String == "GATEWAY_TIMEOUT")
        // The request was fully read, so the client connection stays usable.
        #expect(client.isOpen)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func upstreamClosingWithoutResponseIs502() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .closeWithoutResponse })
        let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/")
        #expect(response.status == 502)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func resetMidBodyCutsTheClientConnection() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .resetAfterHead(contentLength: 100_000, bodyBytesBeforeReset: 1_000)
        })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /reset HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.waitForClose(timeout: .seconds(10)))
        let text = String(decoding: connection.receivedBytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        // Less than the promised body arrived: the client can tell the response is incomplete.
        #expect(connection.receivedBytes.count < 100_000)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func upstreamBodyTimeoutCutsTheClientConnection() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respondChunked(chunks: [Array("first".utf8)])
        }) { config in
            config.upstream.responseTimeout = .seconds(5)
        }
        let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/")
        #expect(response.bodyString == "first")
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
