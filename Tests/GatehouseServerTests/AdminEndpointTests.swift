// AdminEndpointTests: /health, /metrics and the admin token, through the real admin listener.
import Foundation
import GatehouseCore
import GatehouseTesting
import Testing

@Suite struct AdminEndpointTests {
    @Test func healthIsHealthyWithAReachableUpstream() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() })
        let response = try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/health")
        #expect(response.status == 200)
        let body = try #require(response.jsonObject())
        #expect(body["status"] as? String == "healthy")
        let checks = try #require(body["checks"] as? [String: Any])
        #expect(checks["upstream"] as? String == "reachable")
        #expect(checks["cache"] as? String == "memory")
        #expect(checks["disk"] as? String == "sufficient")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func healthIsUnhealthyWhenNoUpstreamAnswers() async throws {
        let proxy = try await ProxyHarness.start(upstreamPorts: [try closedPort()])
        // Live traffic is what tells the proxy the upstream refuses connections.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 502)
        let response = try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/health")
        #expect(response.status == 503)
        let body = try #require(response.jsonObject())
        #expect(body["status"] as? String == "unhealthy")
        #expect((body["checks"] as? [String: Any])?["upstream"] as? String == "unreachable")
        try await proxy.stop()
    }

    @Test func metricsCountRequestsUpstreamsAndErrors() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/missing" ? .respond(status: 404) : .respond(body: Array("ok".utf8))
        })
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for _ in 0..<3 {
            #expect(try await client.send("GET", "/ok").status == 200)
        }
        #expect(try await client.send("GET", "/missing").status == 404)
        #expect(try await client.send("POST", "/ok", body: Array("x".utf8)).status == 200)
        try await client.close()

        let response = try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics")
        #expect(response.status == 200)
        #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
        let metrics = PrometheusText(response.bodyString)
        #expect(metrics.value("gatehouse_requests_total", ["method": "GET", "code": "200"]) == 3)
        #expect(metrics.value("gatehouse_requests_total", ["method": "GET", "code": "404"]) == 1)
        #expect(metrics.value("gatehouse_requests_total", ["method": "POST", "code": "200", "cache": "bypass"]) == 1)
        #expect(metrics.value("gatehouse_upstream_requests_total", ["code": "200"]) == 4)
        #expect(metrics.value("gatehouse_request_duration_seconds_count") == 5)
        #expect(metrics.value("gatehouse_upstream_duration_seconds_count") == 5)
        #expect(metrics.value("gatehouse_requests_in_flight") == 0)
        #expect(metrics.value("gatehouse_draining") == 0)
        #expect(metrics.value("gatehouse_config_reloads_total", ["result": "error"]) == 0)
        for name in ["gatehouse_connections_active", "gatehouse_redis_errors_total", "gatehouse_cache_stores_total"] {
            #expect(metrics.has(name), "missing \(name)")
        }
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Counts are kept per event loop and published on each scrape: a request still at the
    /// upstream shows as in flight, and a second scrape counts nothing twice.
    @Test func scrapesSeeRequestsInFlightAndCountEachRequestOnce() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            request.uri == "/hang" ? .hang : .respond(body: Array("ok".utf8))
        })
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/ok").status == 200)
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(2))
        for _ in 0..<2 {
            let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
            #expect(metrics.value("gatehouse_requests_in_flight") == 1)
            #expect(metrics.value("gatehouse_requests_total", ["method": "GET", "code": "200"]) == 1)
            #expect(metrics.value("gatehouse_request_duration_seconds_count") == 1)
            #expect(metrics.value("gatehouse_upstream_duration_seconds_count") == 1)
        }
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func upstreamErrorsAreCountedByKind() async throws {
        let proxy = try await ProxyHarness.start(upstreamPorts: [try closedPort()])
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 502)
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_upstream_errors_total", ["kind": "connect"]) == 1)
        #expect(metrics.value("gatehouse_requests_total", ["code": "502"]) == 1)
        try await proxy.stop()
    }

    @Test func adminEndpointsNeedTheTokenWhenSet() async throws {
        try await Self.withAdminToken("s3cret") { proxy in
            let anonymous = try await TestHTTPClient.request(port: proxy.adminPort, "POST", "/admin/reload")
            #expect(anonymous.status == 401)
            #expect((anonymous.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "UNAUTHENTICATED")
            // RFC 9110 §11.6.1: a 401 names the scheme it wants.
            #expect(anonymous.header("www-authenticate")?.hasPrefix("Bearer") == true)
            let wrong = try await TestHTTPClient.request(
                port: proxy.adminPort, "POST", "/admin/reload", headers: [("Authorization", "Bearer nope")]
            )
            #expect(wrong.status == 401)
            let authorised = try await TestHTTPClient.request(
                port: proxy.adminPort, "POST", "/admin/reload", headers: [("Authorization", "Bearer s3cret")]
            )
            // Authorised, but this server has no config file to re-read: a 400, not a 401.
            #expect(authorised.status == 400)
            // The scheme is case-insensitive (RFC 9110 §11.1).
            for value in ["bearer s3cret", "BEARER  s3cret"] {
                let status = try await TestHTTPClient.request(
                    port: proxy.adminPort, "POST", "/admin/reload", headers: [("Authorization", value)]
                ).status
                #expect(status == 400, "\(value)")
            }
            let basic = try await TestHTTPClient.request(
                port: proxy.adminPort, "POST", "/admin/reload", headers: [("Authorization", "Basic s3cret")]
            )
            #expect(basic.status == 401)
            // /health stays open for load balancers.
            #expect(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/health").status == 200)
            #expect(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/nope").status == 404)
        }
    }

    /// A method an endpoint does not take is 405 with the `Allow` it must carry (RFC 9110
    /// §15.5.6), not 404, which says the endpoint is not there; behind the token for /admin/*.
    @Test func otherMethodsOnAdminEndpointsAre405WithAllow() async throws {
        try await Self.withAdminToken("s3cret") { proxy in
            let deleted = try await TestHTTPClient.request(port: proxy.adminPort, "DELETE", "/metrics")
            #expect(deleted.status == 405)
            #expect(deleted.header("allow") == "GET, HEAD")
            #expect((deleted.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "METHOD_NOT_ALLOWED")
            let head = try await TestHTTPClient.request(port: proxy.adminPort, "HEAD", "/metrics")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(try await TestHTTPClient.request(port: proxy.adminPort, "POST", "/health").header("allow") == "GET, HEAD")
            // Without the token, /admin/* tells nothing about its methods.
            #expect(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/admin/purge").status == 401)
            let purge = try await TestHTTPClient.request(
                port: proxy.adminPort, "GET", "/admin/purge", headers: [("Authorization", "Bearer s3cret")]
            )
            #expect(purge.status == 405)
            #expect(purge.header("allow") == "POST")
            #expect(try await TestHTTPClient.request(port: proxy.adminPort, "DELETE", "/nope").status == 404)
        }
    }

    /// Bytes the admin listener cannot read as a request get the JSON refusal every other
    /// refusal has (DESIGN.md §8), not NIO's bare 400 with an empty body; a head too large, 431.
    @Test func malformedAdminRequestsAreRefusedInJSON() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() })
        let cases: [(bytes: String, status: Int, code: String)] = [
            ("GARBAGE\r\n\r\n", 400, "BAD_REQUEST"),
            ("POST /admin/purge HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "BAD_REQUEST"),
            ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n", 431, "HEADERS_TOO_LARGE"),
        ]
        for (bytes, status, code) in cases {
            let connection = try await RawHTTPConnection.connect(port: proxy.adminPort)
            try await connection.write(bytes)
            let response = try #require(try await connection.readResponse())
            #expect(response.status == status, "\(bytes.prefix(40))")
            #expect(response.header("content-type") == "application/json")
            #expect((response.jsonObject()?["error"] as? [String: Any])?["code"] as? String == code, "\(bytes.prefix(40))")
            #expect(try await connection.waitForClose())
            try await connection.close()
        }
        // A malformed request pipelined behind a good one: the good one is answered first.
        let connection = try await RawHTTPConnection.connect(port: proxy.adminPort)
        try await connection.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n")
        #expect(try await connection.readResponse()?.status == 200)
        let refused = try #require(try await connection.readResponse())
        #expect(refused.status == 400)
        #expect((refused.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "BAD_REQUEST")
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A proxy whose admin token is `token` (through a variable of this test's own), stopped after `body`.
    private static func withAdminToken(_ token: String, _ body: (ProxyHarness) async throws -> Void) async throws {
        let variable = "GATEHOUSE_TEST_TOKEN_\(UInt32.random(in: 0...UInt32.max))"
        setenv(variable, token, 1)
        defer { unsetenv(variable) }
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.adminTokenEnv = variable
        }
        try await body(proxy)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
