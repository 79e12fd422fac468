// ProxyForwardingTests: requests and responses pass through the proxy with the right headers.
import DemoAPI
import GatehouseCore
import GatehouseTesting
import NIOPosix
import Testing

@Suite struct ProxyForwardingTests {
    /// A client that sends its requests and then half-closes (`shutdown(SHUT_WR)`, as `nc -N`
    /// does) still gets every answer, in order, and then the connection closes.
    @Test func halfClosedClientGetsItsAnswers() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in .respond(body: Array(request.uri.utf8)) })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /one HTTP/1.1\r\nHost: t\r\n\r\nGET /two HTTP/1.1\r\nHost: t\r\n\r\n")
        try await connection.closeOutput()
        let first = try #require(try await connection.readResponse())
        let second = try #require(try await connection.readResponse())
        #expect(first.bodyString == "/one")
        #expect(second.bodyString == "/two")
        #expect(try await connection.waitForClose())
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func forwardsToDemoAPIWithForwardingHeaders() async throws {
        let demo = DemoAPIServer(configuration: DemoAPIConfiguration(), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let demoPort = try await demo.start(host: "127.0.0.1", port: 0)
        let proxy = try await ProxyHarness.start(upstreamPorts: [demoPort]) { config in
            config.server.trustedProxies = []
        }

        let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/headers", headers: [
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "secret"),
            ("Keep-Alive", "timeout=5"),
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Request-Id", "abc-123"),
        ])
        #expect(response.status == 200)
        let seen = try #require(response.jsonObject())
        #expect(seen["x-forwarded-for"] as? String == "127.0.0.1")  // untrusted forgery replaced
        #expect(seen["x-forwarded-proto"] as? String == "http")
        #expect(seen["x-forwarded-host"] as? String == "127.0.0.1:\(proxy.port)")
        #expect(seen["via"] as? String == "1.1 gatehouse")
        #expect(seen["x-request-id"] as? String == "abc-123")
        #expect(seen["x-hop"] == nil)
        #expect(seen["keep-alive"] == nil)
        #expect(response.header("via")?.contains("1.1 gatehouse") == true)
        #expect(response.header("x-request-id") == "abc-123")

        let users = try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users?per_page=5")
        #expect(users.status == 200)
        let meta = try #require(users.jsonObject()?["meta"] as? [String: Any])
        #expect(meta["per_page"] as? Int == 5)
        #expect(users.header("cache-control")?.contains("max-age") == true)

        try await proxy.stop()
        try await demo.shutdown()
    }

    /// A client that sends `Expect: 100-continue` waits for `100 Continue` before its body (curl
    /// waits a second for it): the origin's is relayed, then the body goes and the answer comes.
    @Test func anOriginsContinueReachesAClientThatWaitsForIt() async throws {
        let demo = DemoAPIServer(configuration: DemoAPIConfiguration(), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let demoPort = try await demo.start(host: "127.0.0.1", port: 0)
        let proxy = try await ProxyHarness.start(upstreamPorts: [demoPort])
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        #expect(try await connection.readResponse(timeout: .seconds(5))?.status == 100)
        try await connection.write("hello")
        let answer = try #require(try await connection.readResponse())
        #expect(answer.status == 200)
        #expect(answer.bodyString == "hello")
        // A client that did not ask gets no 100.
        try await connection.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
        #expect(try await connection.readResponse()?.status == 200)
        try await connection.close()
        try await proxy.stop()
        try await demo.shutdown()
    }

    @Test func trustedPeerForwardingHeadersAreAppended() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(status: 204) }) { config in
            config.server.trustedProxies = [IPNetwork(parsing: "127.0.0.0/8")].compactMap { $0 }
        }
        let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/x", headers: [
            ("X-Forwarded-For", "203.0.113.9"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "api.example.com"),
        ])
        #expect(response.status == 204)
        let seen = try #require(upstream.receivedRequests.first)
        #expect(seen.header("x-forwarded-for") == "203.0.113.9, 127.0.0.1")
        #expect(seen.header("x-forwarded-proto") == "https")
        #expect(seen.header("x-forwarded-host") == "api.example.com")
        #expect(seen.header("x-request-id").map(RequestID.isAcceptable) == true)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A generated id goes upstream and back to the client as the same text.
    @Test func generatedIdIsTheSameUpstreamAndInTheResponse() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(status: 204) })
        let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/x")
        #expect(response.status == 204)
        let seen = try #require(upstream.receivedRequests.first)
        let id = try #require(response.header("x-request-id"))
        #expect(id.utf8.count == 32 && RequestID.isAcceptable(id))
        #expect(seen.header("x-request-id") == id)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func keepAliveReusesOneUpstreamConnection() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(body: Array("hello".utf8)) })
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for _ in 0..<5 {
            let response = try await client.send("GET", "/a")
            #expect(response.status == 200)
            #expect(response.bodyString == "hello")
        }
        #expect(client.isOpen)
        // Every request went over one upstream connection (the prober's connects carry none).
        #expect(Set(upstream.receivedRequests.map(\.connectionNumber)).count == 1)
        #expect(upstream.receivedRequests.count == 5)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func headResponseHasNoBody() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Content-Type", "text/plain")], body: Array("twelve bytes".utf8))
        })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\nGET /g HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try #require(try await connection.readResponse(forHEAD: true))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        let get = try #require(try await connection.readResponse())
        #expect(get.bodyString == "twelve bytes")
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// /slow is answered only once it is upstream and /fast has been sent behind it.
    @Test func pipelinedRequestsAnswerInOrder() async throws {
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/slow"
                ? .gated(gate, then: .respond(body: Array("slow".utf8)))
                : .respond(body: Array("fast".utf8))
        })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        gate.open()
        let first = try #require(try await connection.readResponse())
        let second = try #require(try await connection.readResponse())
        #expect(first.bodyString == "slow")
        #expect(second.bodyString == "fast")
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Gatehouse does not tunnel upgrades: Upgrade and Connection are hop-by-hop, so the request
    /// goes on as a plain one, and the connection keeps being read as HTTP (NIO's decoder used to
    /// stop reading after such a request, leaving a pipelined one unanswered).
    @Test func upgradeRequestIsForwardedPlainAndTheNextRequestIsRead() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(body: Array("ok".utf8)) })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write(
            "GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /next HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        let first = try #require(try await connection.readResponse())
        let second = try #require(try await connection.readResponse())
        #expect(first.status == 200 && second.status == 200)
        #expect(upstream.receivedRequests.map(\.uri) == ["/ws", "/next"])
        let upgrade = try #require(upstream.receivedRequests.first)
        #expect(upgrade.header("upgrade") == nil)
        #expect(upgrade.header("connection") == nil)
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func absoluteFormTargetIsForwardedAsPath() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(status: 200) })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET http://api.example.com/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n")
        let response = try #require(try await connection.readResponse())
        #expect(response.status == 200)
        let seen = try #require(upstream.receivedRequests.first)
        #expect(seen.uri == "/p?q=1")
        #expect(seen.header("host") == "api.example.com")
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// HTTP/1.0 may leave Host out; the HTTP/1.1 request sent upstream names the origin itself.
    @Test func anHTTP10RequestWithoutHostReachesTheOriginWithItsAuthority() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(status: 200) })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /old HTTP/1.0\r\n\r\n")
        #expect(try await connection.readResponse()?.status == 200)
        let seen = try #require(upstream.receivedRequests.first)
        #expect(seen.headers.filter { $0.name.lowercased() == "host" }.map(\.value) == ["127.0.0.1:\(upstream.port)"])
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Every answer carries one `Date` (RFC 9110 §6.6.1): the origin's when it sent one, else
    /// Gatehouse's, on relayed responses, on its own errors, and on hits of what was stored.
    @Test func everyAnswerCarriesOneDate() async throws {
        let originDate = "Tue, 15 Nov 1994 08:12:31 GMT"
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            switch request.uri {
            case "/dated": .respond(headers: [("Date", originDate)], body: Array("d".utf8))
            case "/cached": .respond(headers: [("Cache-Control", "max-age=60")], body: Array("c".utf8))
            default: .respond(body: Array("u".utf8))
            }
        }) { config in
            config.server.maxBodyBytes = 1
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let dates = { (response: TestHTTPResponse) in response.headers.filter { $0.name.lowercased() == "date" }.map(\.value) }
        #expect(dates(try await client.send("GET", "/dated")) == [originDate])
        let undated = dates(try await client.send("GET", "/undated"))
        #expect(undated.count == 1 && undated.first.flatMap { HTTPDate.parse($0, now: .now()) } != nil)
        let refused = try await client.send("POST", "/big", body: Array("too big".utf8))
        #expect(refused.status == 413)
        #expect(dates(refused).count == 1)
        let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/cached")
        let hit = try await TestHTTPClient.request(port: proxy.port, "GET", "/cached")
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(dates(miss).count == 1 && dates(hit).count == 1)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func roundRobinsAndSkipsARefusingServer() async throws {
        let a = try await TestUpstreamServer.start(behaviour: { _ in .respond(body: Array("a".utf8)) })
        let b = try await TestUpstreamServer.start(behaviour: { _ in .respond(body: Array("b".utf8)) })
        let dead = try closedPort()
        let proxy = try await ProxyHarness.start(upstreamPorts: [a.port, dead, b.port])
        var bodies: [String] = []
        for _ in 0..<6 {
            // A new client connection each time: each may land on either event loop.
            let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/")
            #expect(response.status == 200)
            bodies.append(response.bodyString)
        }
        #expect(bodies.contains("a"))
        #expect(bodies.contains("b"))
        try await proxy.stop()
        try await a.shutdown()
        try await b.shutdown()
    }
}
