// RateLimitEndToEndTests: policies enforced through real sockets, with the IETF fields and 429 JSON.
import Foundation
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

@Suite struct RateLimitEndToEndTests {
    private static func policy(_ name: String, key: RateLimitKey, limit: Int, window: Duration) -> RateLimitPolicyConfig {
        RateLimitPolicyConfig(name: name, key: key, limit: limit, window: window)
    }

    @Test func perIPLimitRefusesWith429AndHeaders() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.trustedProxies = []
            config.rateLimits.policies = [Self.policy("per-ip", key: .ip, limit: 3, window: .seconds(60))]
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for remaining in [2, 1, 0] {
            let admitted = try await client.send("GET", "/")
            #expect(admitted.status == 200)
            #expect(admitted.header("ratelimit-policy") == #""per-ip";q=3;w=60"#)
            #expect(admitted.header("ratelimit")?.hasPrefix(#""per-ip";r=\#(remaining);t="#) == true)
        }
        let refused = try await client.send("GET", "/")
        #expect(refused.status == 429)
        #expect(refused.header("content-type") == "application/json")
        let retryAfter = try #require(refused.header("retry-after").flatMap(Int.init))
        // Never early; the requests above took a moment, so a little under the window.
        #expect(retryAfter >= 45 && retryAfter <= 60)
        #expect(refused.header("ratelimit")?.hasPrefix(#""per-ip";r=0;t="#) == true)
        let error = try #require(refused.jsonObject()?["error"] as? [String: Any])
        #expect(error["code"] as? String == "RATE_LIMITED")
        let details = try #require(error["details"] as? [[String: Any]])
        #expect(details.first?["policy"] as? String == "per-ip")
        // The refusal did not consume quota and never reached the upstream.
        #expect(upstream.receivedRequests.count == 3)
        // A refused request leaves the connection usable.
        #expect(client.isOpen)

        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_ratelimit_decisions_total", ["policy": "per-ip", "decision": "allowed"]) == 3)
        #expect(metrics.value("gatehouse_ratelimit_decisions_total", ["policy": "per-ip", "decision": "limited"]) == 1)
        #expect(metrics.value("gatehouse_requests_total", ["code": "429"]) == 1)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A request refused before the cache stage was never looked up: a 429 leaves
    /// `gatehouse_cache_lookups_total` alone (it used to count as a bypass, skewing hit ratios)
    /// and is still in `gatehouse_requests_total` with `cache="bypass"`.
    @Test func aRefusedRequestIsNoCacheLookup() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=600")], body: Array("ok".utf8))
        }) { config in
            config.server.trustedProxies = []
            config.rateLimits.policies = [Self.policy("per-ip", key: .ip, limit: 1, window: .seconds(60))]
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/doc").status == 200)
        let before = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(before.value("gatehouse_cache_lookups_total") == 1)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/doc").status == 429)
        let after = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(after.value("gatehouse_cache_lookups_total") == 1)
        #expect(after.value("gatehouse_requests_total", ["code": "429", "cache": "bypass"]) == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func clientsBehindATrustedProxyAreLimitedSeparately() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.trustedProxies = [IPNetwork(parsing: "127.0.0.1/32")].compactMap { $0 }
            config.rateLimits.policies = [Self.policy("per-ip", key: .ip, limit: 1, window: .seconds(60))]
        }
        let first = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: [("X-Forwarded-For", "203.0.113.1")])
        let second = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: [("X-Forwarded-For", "203.0.113.2")])
        let again = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: [("X-Forwarded-For", "203.0.113.1")])
        #expect(first.status == 200)
        #expect(second.status == 200)
        #expect(again.status == 429)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Behind a proxy that appends only `Forwarded` (`client_ip_header: forwarded`), the client's
    /// own X-Forwarded-For reaches Gatehouse untouched. Believed, each forged address would have a
    /// quota of its own and be what the access log names; only `Forwarded` may name the client.
    @Test func onlyTheNamedForwardingFieldNamesTheClient() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("client-ip-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.trustedProxies = [IPNetwork(parsing: "127.0.0.1/32")].compactMap { $0 }
            config.server.clientIPHeader = .forwarded
            config.server.accessLog = .file(path: file.path)
            config.rateLimits.policies = [Self.policy("per-ip", key: .ip, limit: 2, window: .seconds(60))]
        }
        var statuses: [Int] = []
        for index in 0..<3 {
            let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: [
                ("X-Forwarded-For", "198.51.100.\(index)"), ("Forwarded", "for=203.0.113.9;proto=http"),
            ])
            statuses.append(response.status)
        }
        #expect(statuses == [200, 200, 429])
        // Another client of the same proxy has its own quota.
        let other = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: [
            ("X-Forwarded-For", "198.51.100.0"), ("Forwarded", "for=203.0.113.10"),
        ])
        #expect(other.status == 200)
        #expect(await proxy.server.drain(timeout: .seconds(5)))
        let clients = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["client"] as? String
        }
        #expect(clients == ["203.0.113.9", "203.0.113.9", "203.0.113.9", "203.0.113.10"])
        try await upstream.shutdown()
    }

    @Test func forgedForwardingFromAnUntrustedPeerIsIgnored() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.trustedProxies = []
            config.rateLimits.policies = [Self.policy("per-ip", key: .ip, limit: 2, window: .seconds(60))]
        }
        var statuses: [Int] = []
        for index in 0..<4 {
            let response = try await TestHTTPClient.request(
                port: proxy.port, "GET", "/", headers: [("X-Forwarded-For", "198.51.100.\(index)")]
            )
            statuses.append(response.status)
        }
        // Limited on its own socket address whatever it claims.
        #expect(statuses == [200, 200, 429, 429])
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func policiesMatchByPathAndMethod() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            var writes = Self.policy("writes", key: .ip, limit: 1, window: .seconds(60))
            writes.match = RequestMatch(pathPrefix: "/api/", methods: ["POST"])
            config.rateLimits.policies = [writes]
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "POST", "/api/a", body: [1]).status == 200)
        #expect(try await TestHTTPClient.request(port: proxy.port, "POST", "/api/a", body: [1]).status == 429)
        let unmatched = try await TestHTTPClient.request(port: proxy.port, "GET", "/api/a")
        #expect(unmatched.status == 200)
        #expect(unmatched.header("ratelimit-policy") == nil)
        #expect(try await TestHTTPClient.request(port: proxy.port, "POST", "/other", body: [1]).status == 200)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// `/%61pi/users` and `//api/users` are `/api/users` to the origin (and to nginx's
    /// `location`): an `/api/` policy counts them, refuses them past its limit, and they are
    /// forwarded exactly as sent.
    @Test func otherSpellingsOfAPathAreCountedByItsPolicy() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            var api = Self.policy("api", key: .ip, limit: 2, window: .seconds(60))
            api.match = RequestMatch(pathPrefix: "/api/")
            config.rateLimits.policies = [api]
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let first = try await client.send("GET", "/%61pi/users")
        #expect(first.status == 200)
        #expect(first.header("ratelimit")?.hasPrefix(#""api";r=1;t="#) == true)
        let second = try await client.send("GET", "//api/users")
        #expect(second.status == 200)
        #expect(second.header("ratelimit")?.hasPrefix(#""api";r=0;t="#) == true)
        for spelling in ["/api/users", "/%61pi/users", "//api/users", "/./api/users", "/x/../api/users", "/%2e/api//users", "/api%2Fusers"] {
            #expect(try await client.send("GET", spelling).status == 429, "\(spelling)")
        }
        let outside = try await client.send("GET", "/apiv2/users")
        #expect(outside.status == 200)
        #expect(outside.header("ratelimit-policy") == nil)
        #expect(upstream.receivedRequests.map(\.uri) == ["/%61pi/users", "//api/users", "/apiv2/users"])
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A request a policy counted carries the policy's fields whoever answers it: an answer the
    /// proxy makes itself after admitting the request (502 for an origin that refuses, 413 for a
    /// body past the limit) spent quota like any other, and a client pacing itself by the fields
    /// must see that.
    @Test func errorsTheProxyMakesAfterAdmittingCarryTheFields() async throws {
        let proxy = try await ProxyHarness.start(upstreamPorts: [try closedPort()]) { config in
            config.server.maxBodyBytes = 16
            config.rateLimits.policies = [Self.policy("per-ip", key: .ip, limit: 3, window: .seconds(60))]
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let badGateway = try await client.send("GET", "/")
        #expect(badGateway.status == 502)
        #expect(badGateway.header("ratelimit-policy") == #""per-ip";q=3;w=60"#)
        #expect(badGateway.header("ratelimit")?.hasPrefix(#""per-ip";r=2;t="#) == true)
        #expect(badGateway.header("retry-after") == nil)
        try await client.close()
        // A chunked body's size is known only as it arrives: refused while streaming, after admission.
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + String(repeating: "x", count: 32) + "\r\n")
        let tooLarge = try #require(try await connection.readResponse())
        #expect(tooLarge.status == 413)
        #expect(tooLarge.header("ratelimit")?.hasPrefix(#""per-ip";r=1;t="#) == true)
        try await connection.close()
        try await proxy.stop()
    }

    /// A request another policy refused was not allowed, and this policy counted nothing for it:
    /// `allowed` is what each policy let through (so never more than its limit per window) and
    /// `limited` what it refused. Counting the policies that would have admitted a refused
    /// request as `allowed` showed a client's 429s as admissions under them.
    @Test func decisionMetricsCountOnlyWhatEachPolicyDecided() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            var api = Self.policy("api", key: .ip, limit: 2, window: .seconds(60))
            api.match = RequestMatch(pathPrefix: "/api/")
            config.rateLimits.policies = [Self.policy("per-ip", key: .ip, limit: 10, window: .seconds(60)), api]
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        var statuses: [Int] = []
        for _ in 0..<4 {
            statuses.append(try await client.send("GET", "/api/items").status)
        }
        #expect(statuses == [200, 200, 429, 429])
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_ratelimit_decisions_total", ["policy": "per-ip", "decision": "allowed"]) == 2)
        #expect((metrics.value("gatehouse_ratelimit_decisions_total", ["policy": "per-ip", "decision": "limited"]) ?? 0) == 0)
        #expect(metrics.value("gatehouse_ratelimit_decisions_total", ["policy": "api", "decision": "allowed"]) == 2)
        #expect(metrics.value("gatehouse_ratelimit_decisions_total", ["policy": "api", "decision": "limited"]) == 2)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func retryAfterIsHonouredToTheSecond() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.rateLimits.policies = [Self.policy("tight", key: .ip, limit: 1, window: .seconds(5))]
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("GET", "/").status == 200)
        let refused = try await client.send("GET", "/")
        #expect(refused.status == 429)
        let retryAfter = try #require(refused.header("retry-after").flatMap(Int.init))
        #expect(retryAfter >= 1 && retryAfter <= 5)
        try await client.close()
        // Waiting exactly what Retry-After says is enough (the clock, not an event, is what we test).
        try await Task.sleep(for: .seconds(retryAfter))
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
