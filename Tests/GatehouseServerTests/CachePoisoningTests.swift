// CachePoisoningTests: what one client sends never changes what the cache gives another — unkeyed
// and forged headers, Host, credentials, per-user rules, Vary, truncated bodies, Set-Cookie (issue 8).
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct CachePoisoningTests {
    /// Fields a proxy in front would set and origins build URLs, links or routes from; each
    /// value is what an attacker would plant.
    static let forgedProxyFields: [(String, String)] = [
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Scheme", "https"),
        ("X-Forwarded-Port", "1337"),
        ("X-Forwarded-Prefix", "/evil"),
        ("X-Forwarded-Server", "evil.example"),
        ("X-Forwarded-SSL", "on"),
        ("X-Forwarded-Uri", "/evil"),
        ("Forwarded", "for=6.6.6.6;host=evil.example;proto=https"),
        ("X-Real-IP", "6.6.6.6"),
        ("X-Host", "evil.example"),
        ("X-Original-Host", "evil.example"),
        ("X-Original-URL", "/admin"),
        ("X-Rewrite-URL", "/admin"),
    ]

    /// Unkeyed fields a client may legitimately send, which an origin may act on.
    static let unkeyedClientFields: [(String, String)] = [
        ("X-HTTP-Method-Override", "DELETE"),
        ("X-HTTP-Method", "DELETE"),
        ("X-Method-Override", "DELETE"),
    ]

    /// An origin that builds its page from request fields (absolute links, redirects, routing),
    /// one `name=value` line each, and lets shared caches keep it for a minute.
    static func reflecting(
        _ names: [String], cacheControl: String = "max-age=60", extra: [(String, String)] = []
    ) -> @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour {
        { request in
            let page = names.map { "\($0.lowercased())=\(request.header($0) ?? "-")\n" }.joined()
            return .respond(headers: [("Cache-Control", cacheControl)] + extra, body: Array(page.utf8))
        }
    }

    // MARK: - Unkeyed and forged request fields

    @Test func forgedProxyFieldsFromAnUntrustedPeerNeverReachTheUpstream() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(status: 204) }) { config in
            config.server.trustedProxies = []
        }
        let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/page", headers: Self.forgedProxyFields)
        #expect(response.status == 204)
        let seen = try #require(upstream.receivedRequests.first)
        // Replaced with what Gatehouse itself knows...
        #expect(seen.header("x-forwarded-host") == "127.0.0.1:\(proxy.port)")
        #expect(seen.header("x-forwarded-proto") == "http")
        #expect(seen.header("x-forwarded-for") == "127.0.0.1")
        // ...or dropped: no planted value arrives under any name.
        for (name, value) in Self.forgedProxyFields where !["x-forwarded-host", "x-forwarded-proto"].contains(name.lowercased()) {
            #expect(seen.header(name) == nil, "\(name) reached the upstream")
            #expect(!seen.headers.contains { $0.value == value }, "\(value) reached the upstream")
        }
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test(arguments: forgedProxyFields + unkeyedClientFields)
    func unkeyedFieldsNeverPoisonThePlainURL(name: String, value: String) async throws {
        let names = (Self.forgedProxyFields + Self.unkeyedClientFields).map(\.0)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.reflecting(names)) { config in
            config.server.trustedProxies = []
        }
        let attack = try await TestHTTPClient.request(port: proxy.port, "GET", "/page", headers: [(name, value)])
        #expect(attack.status == 200)
        let plain = try await TestHTTPClient.request(port: proxy.port, "GET", "/page")
        #expect(plain.status == 200)
        // Either the attacker's value never reached the origin, or its answer was not stored.
        #expect(!plain.bodyString.contains("\(name.lowercased())=\(value)\n"), "\(plain.bodyString)")
        #expect(plain.bodyString.contains("x-forwarded-host=127.0.0.1:\(proxy.port)\n"))
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func methodOverrideRequestsBypassTheCache() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.reflecting(["X-HTTP-Method-Override"]))
        let plain = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc")
        #expect(plain.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        // A GET standing for a DELETE must reach the origin, not be answered by the stored GET.
        let override = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc", headers: [("X-HTTP-Method-Override", "DELETE")])
        #expect(override.header("cache-status") == "gatehouse; fwd=bypass")
        #expect(override.bodyString == "x-http-method-override=DELETE\n")
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A GET with content (Elasticsearch's `GET _search`): the origin answers by the body, which
    /// the key does not hold, so one body's answer is neither stored nor served for another.
    @Test func getRequestsWithABodyBypassTheCache() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.reflecting(["Content-Length"]))
        let search = { (body: String) in
            try await TestHTTPClient.request(port: proxy.port, "GET", "/index/_search", body: Array(body.utf8))
        }
        let first = try await search("{}")
        #expect(first.bodyString == "content-length=2\n")
        #expect(first.header("cache-status") == "gatehouse; fwd=bypass")
        #expect(try await search("{\"q\":1}").bodyString == "content-length=7\n")
        let bare = try await TestHTTPClient.request(port: proxy.port, "GET", "/index/_search")
        #expect(bare.bodyString == "content-length=-\n")
        #expect(bare.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(upstream.receivedRequests.count == 3)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A trusted proxy in front relays X-Forwarded-Host (set from its own Host, or passed on from
    /// its client); the origin builds links from it; the key has only the Host Gatehouse saw.
    @Test func forwardedHostFromATrustedProxyIsPartOfTheKey() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.reflecting(["X-Forwarded-Host"])) { config in
            config.server.trustedProxies = [IPNetwork(parsing: "127.0.0.1/32")].compactMap { $0 }
        }
        let host = ("Host", "gatehouse.internal")
        let first = try await TestHTTPClient.request(port: proxy.port, "GET", "/page", headers: [host, ("X-Forwarded-Host", "evil.example")])
        #expect(first.bodyString == "x-forwarded-host=evil.example\n")
        let second = try await TestHTTPClient.request(port: proxy.port, "GET", "/page", headers: [host, ("X-Forwarded-Host", "api.example")])
        #expect(second.bodyString == "x-forwarded-host=api.example\n")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func hostIsPartOfTheKey() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.reflecting(["Host"]))
        let get = { (host: String) in
            try await TestHTTPClient.request(port: proxy.port, "GET", "/p", headers: [("Host", host)])
        }
        #expect(try await get("a.example").bodyString == "host=a.example\n")
        #expect(try await get("b.example").bodyString == "host=b.example\n")
        #expect(try await get("a.example:8080").bodyString == "host=a.example:8080\n")
        // Case and the default port do not change the origin a host names: one entry.
        let same = try await get("A.EXAMPLE:80")
        #expect(same.bodyString == "host=a.example\n")
        #expect(same.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        // An absolute-form target names its own host, for the key and for the upstream alike.
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET http://c.example/p HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(try #require(try await connection.readResponse()).bodyString == "host=c.example\n")
        try await connection.close()
        #expect(try await get("c.example").header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(upstream.receivedRequests.count == 4)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    // MARK: - Credentials and users

    @Test(arguments: [
        ("max-age=60", false),
        ("public, max-age=60", true),
        ("s-maxage=60", true),
        ("must-revalidate, max-age=60", true),
        ("private, s-maxage=60", false),
    ])
    func authorizedResponsesAreSharedOnlyWhenTheOriginSaysSo(cacheControl: String, shared: Bool) async throws {
        // Basic credentials, which Gatehouse does not verify: no user, so no per-user key either.
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.reflecting(["Authorization"], cacheControl: cacheControl))
        let alice = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc", headers: [("Authorization", "Basic YWxpY2U6eA==")])
        let bob = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc", headers: [("Authorization", "Basic Ym9iOnk=")])
        let anonymous = try await TestHTTPClient.request(port: proxy.port, "GET", "/doc")
        #expect(alice.bodyString == "authorization=Basic YWxpY2U6eA==\n")
        if shared {
            // RFC 9111 §3.5: public, s-maxage and must-revalidate let a shared cache reuse it.
            #expect(bob.bodyString == alice.bodyString)
            #expect(anonymous.bodyString == alice.bodyString)
            #expect(upstream.receivedRequests.count == 1)
        } else {
            #expect(bob.bodyString == "authorization=Basic Ym9iOnk=\n")
            #expect(anonymous.bodyString == "authorization=-\n")
            #expect(upstream.receivedRequests.count == 3)
        }
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func perUserRulesKeepAnonymousAndPrivateResponsesApart() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            let cacheControl = request.uri.hasPrefix("/me/private") ? "private, max-age=60" : "max-age=60"
            return Self.reflecting(["X-API-Key"], cacheControl: cacheControl)(request)
        }) { config in
            var rule = CacheRuleConfig(pathPrefix: "/me")
            rule.perUser = true
            config.cache.rules = [rule]
        }
        let get = { (path: String, key: String?) in
            try await TestHTTPClient.request(port: proxy.port, "GET", path, headers: key.map { [("X-API-Key", $0)] } ?? [])
        }
        // An anonymous entry first: a user must still get their own.
        #expect(try await get("/me", nil).bodyString == "x-api-key=-\n")
        #expect(try await get("/me", "alice-key").bodyString == "x-api-key=alice-key\n")
        #expect(try await get("/me", "bob-key").bodyString == "x-api-key=bob-key\n")
        let aliceAgain = try await get("/me", "alice-key")
        #expect(aliceAgain.bodyString == "x-api-key=alice-key\n")
        #expect(aliceAgain.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(try await get("/me", nil).bodyString == "x-api-key=-\n")
        #expect(upstream.receivedRequests.count == 3)
        // `private` is never stored, even where entries are kept per user.
        for _ in 0..<2 {
            let response = try await get("/me/private", "alice-key")
            #expect(response.header("cache-status")?.contains("hit") == false)
        }
        #expect(try await get("/me/private", "bob-key").bodyString == "x-api-key=bob-key\n")
        #expect(upstream.receivedRequests.count == 6)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The origin keeps users apart with `Vary: X-User-Id`, trusting Gatehouse to pass that
    /// field only from trusted proxies. Gatehouse drops it from an untrusted peer's request
    /// upstream, but must not look the variant up by it either.
    @Test func varyOnTheUserHeaderNeverServesAnUntrustedPeer() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.reflecting(["X-User-Id"], extra: [("Vary", "X-User-Id")])) { config in
            config.server.trustedProxies = [IPNetwork(parsing: "127.0.0.1/32")].compactMap { $0 }
        }
        let trusted = try await TestHTTPClient.connect(port: proxy.port, localHost: "127.0.0.1")
        #expect(try await trusted.send("GET", "/account", headers: [("X-User-Id", "alice")]).bodyString == "x-user-id=alice\n")
        try await trusted.close()
        let untrusted = try await TestHTTPClient.connect(port: proxy.port, localHost: "127.0.0.2")
        let forged = try await untrusted.send("GET", "/account", headers: [("X-User-Id", "alice")])
        try await untrusted.close()
        #expect(forged.bodyString == "x-user-id=-\n")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test(arguments: ["set-cookie", "private", "authorization"])
    func concurrentMissesNeverShareAPersonalResponse(kind: String) async throws {
        let served = NIOLockedValueBox(0)
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            let number = served.withLockedValue { $0 += 1; return $0 }
            var headers = [("Cache-Control", kind == "private" ? "private, max-age=60" : "max-age=60")]
            if kind == "set-cookie" {
                headers.append(("Set-Cookie", "session=\(number)"))
            }
            let who = request.header("authorization") ?? "response \(number)"
            // Held until every request has arrived, so the others meet the first one in flight.
            return .gated(gate, then: .respond(headers: headers, body: Array(who.utf8)))
        })
        let responses = try await withThrowingTaskGroup(of: TestHTTPResponse?.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let credentials = kind == "authorization" ? [("Authorization", "Basic user\(index)")] : []
                    return try await TestHTTPClient.request(port: proxy.port, "GET", "/personal", headers: credentials)
                }
            }
            group.addTask {
                let arrived = try await proxy.open(gate, onceArrived: 8, at: upstream)
                #expect(arrived, "each went upstream or waits on a fetch")
                return nil
            }
            return try await group.reduce(into: [TestHTTPResponse]()) { if let response = $1 { $0.append(response) } }
        }
        #expect(Set(responses.map(\.bodyString)).count == 8, "\(responses.map(\.bodyString))")
        if kind == "set-cookie" {
            #expect(Set(responses.compactMap { $0.header("set-cookie") }).count == 8)
        }
        #expect(upstream.receivedRequests.count == 8)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    // MARK: - Vary

    /// Requests that queue behind a URL miss (single flight) are woken with the leader's
    /// response only when they select the same variant.
    @Test func concurrentMissesForOtherVariantsGetTheirOwn() async throws {
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            let gzip = request.header("accept-encoding")?.contains("gzip") == true
            // Held until every request has arrived, so the others meet the first one in flight.
            return .gated(gate, then: .respond(
                headers: [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")],
                body: Array((gzip ? "GZIPPED" : "plain").utf8)
            ))
        })
        let responses = try await withThrowingTaskGroup(of: (String?, TestHTTPResponse)?.self) { group in
            for encoding in ["gzip", nil, "gzip", nil, nil] as [String?] {
                group.addTask {
                    let headers = encoding.map { [("Accept-Encoding", $0)] } ?? []
                    return (encoding, try await TestHTTPClient.request(port: proxy.port, "GET", "/variant", headers: headers))
                }
            }
            group.addTask {
                let arrived = try await proxy.open(gate, onceArrived: 5, at: upstream)
                #expect(arrived, "each went upstream or waits on a fetch")
                return nil
            }
            return try await group.reduce(into: [(String?, TestHTTPResponse)]()) { if let answer = $1 { $0.append(answer) } }
        }
        for (encoding, response) in responses {
            #expect(response.bodyString == (encoding == "gzip" ? "GZIPPED" : "plain"), "\(encoding ?? "none"): \(response.bodyString)")
        }
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func acceptEncodingVariantsNeverCross() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            let gzip = request.header("accept-encoding")?.contains("gzip") == true
            return .respond(
                headers: [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")] + (gzip ? [("Content-Encoding", "gzip")] : []),
                body: Array((gzip ? "GZIPPED" : "plain").utf8)
            )
        })
        let get = { (encoding: String?) in
            try await TestHTTPClient.request(port: proxy.port, "GET", "/asset", headers: encoding.map { [("Accept-Encoding", $0)] } ?? [])
        }
        #expect(try await get("gzip").bodyString == "GZIPPED")
        for encoding in [nil, "identity", "br"] {
            let response = try await get(encoding)
            #expect(response.bodyString == "plain", "\(encoding ?? "no Accept-Encoding")")
            #expect(response.header("content-encoding") == nil)
        }
        let gzipAgain = try await get("gzip")
        #expect(gzipAgain.bodyString == "GZIPPED")
        #expect(gzipAgain.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        let plainAgain = try await get(nil)
        #expect(plainAgain.bodyString == "plain")
        #expect(plainAgain.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(upstream.receivedRequests.count == 4)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    // MARK: - Truncated upstream bodies

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nCache-Control: max-age=60\r\n\r\n" + String(repeating: "x", count: 500),
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: max-age=60\r\n\r\n1f4\r\n" + String(repeating: "x", count: 500) + "\r\n",
    ])
    func truncatedUpstreamBodiesAreNeverStored(truncated: String) async throws {
        let served = NIOLockedValueBox(0)
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            guard served.withLockedValue({ $0 += 1; return $0 }) == 1 else {
                return .respond(headers: [("Cache-Control", "max-age=60")], body: Array("complete".utf8))
            }
            // Held until a second request has joined the fetch as a single-flight follower.
            return .gated(gate, then: .rawResponse(Array(truncated.utf8)))
        })
        let first = try await RawHTTPConnection.connect(port: proxy.port)
        try await first.write("GET /t HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        // The same Host as the first, so the same key: TestHTTPClient's own would be another.
        async let follower = TestHTTPClient.request(port: proxy.port, "GET", "/t", headers: [("Host", "t")])
        let joined = try await proxy.waitForFollowers(1)
        gate.open()
        #expect(joined, "the second request waits on the first one's fetch")
        // The first client sees the cut, never a response that looks complete.
        await #expect(throws: TestHTTPClientError.connectionClosed) {
            _ = try await first.readResponse()
        }
        #expect(String(decoding: first.receivedBytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        #expect(try await follower.bodyString == "complete")
        let next = try await TestHTTPClient.request(port: proxy.port, "GET", "/t", headers: [("Host", "t")])
        #expect(next.bodyString == "complete")
        #expect(upstream.requestCount == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    // MARK: - Set-Cookie

    @Test func setCookieOnARevalidationIsNeverStored() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            if request.header("if-none-match") == "\"v1\"" {
                return .respond(status: 304, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=60"), ("Set-Cookie", "session=first")])
            }
            return .respond(headers: [("Cache-Control", "max-age=1"), ("ETag", "\"v1\"")], body: Array("page".utf8))
        }) { config in
            config.cache.staleWhileRevalidate = .zero
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/r").status == 200)
        // Wait out the one-second lifetime (the clock is what is under test).
        try await Task.sleep(for: .milliseconds(2100))
        let revalidated = try await TestHTTPClient.request(port: proxy.port, "GET", "/r")
        #expect(revalidated.header("cache-status")?.contains("fwd=stale; fwd-status=304") == true)
        let hit = try await TestHTTPClient.request(port: proxy.port, "GET", "/r")
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(hit.header("set-cookie") == nil)
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
