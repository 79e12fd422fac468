// CacheEndToEndTests: the response cache through real sockets — hit, miss, HEAD, Vary, invalidation,
// purge, single flight, hit-for-pass, revalidation, stale-if-error and the memory budget.
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct CacheEndToEndTests {
    private static func cacheable(_ body: String, maxAge: Int = 60, extra: [(String, String)] = []) -> TestUpstreamBehaviour {
        .respond(headers: [("Cache-Control", "max-age=\(maxAge)")] + extra, body: Array(body.utf8))
    }

    @Test func missThenHitWithAgeAndCacheStatus() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in Self.cacheable("v1") })
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let miss = try await client.send("GET", "/doc?x=1")
        #expect(miss.status == 200)
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        let hit = try await client.send("GET", "/doc?x=1")
        #expect(hit.status == 200)
        #expect(hit.bodyString == "v1")
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit; ttl=") == true)
        #expect(hit.header("age") != nil)
        #expect(hit.header("via") == "1.1 gatehouse")
        let other = try await client.send("GET", "/doc?x=2")
        #expect(other.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(upstream.receivedRequests.count == 2)

        let head = try await client.send("HEAD", "/doc?x=1")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("content-length") == "2")
        #expect(head.header("cache-status")?.contains("hit") == true)
        #expect(upstream.receivedRequests.count == 2)

        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_cache_lookups_total", ["result": "hit"]) == 2)
        #expect(metrics.value("gatehouse_cache_lookups_total", ["result": "miss"]) == 2)
        #expect(metrics.value("gatehouse_cache_stores_total") == 2)
        #expect(metrics.value("gatehouse_cache_entries") == 2)
        #expect((metrics.value("gatehouse_cache_bytes") ?? 0) > 0)
        #expect(metrics.value("gatehouse_requests_total", ["cache": "hit"]) == 2)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test(arguments: [
        [("Cache-Control", "no-store")],
        [("Cache-Control", "private, max-age=60")],
        [("Cache-Control", "max-age=60"), ("Set-Cookie", "a=b")],
        [("Cache-Control", "public, s-maxage=60"), ("Set-Cookie", "a=b")],
        [("Cache-Control", "max-age=60"), ("Vary", "*")],
        [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding, *")],
        [],
    ])
    func uncacheableResponsesAreNotStored(headers: [(String, String)]) async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(headers: headers, body: [1]) })
        for _ in 0..<3 {
            let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/x")
            #expect(response.status == 200)
            #expect(response.header("cache-status")?.contains("hit") == false)
        }
        #expect(upstream.receivedRequests.count == 3)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func varyKeepsVariantsApart() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            Self.cacheable("lang=\(request.header("accept-language") ?? "none")", extra: [("Vary", "Accept-Language")])
        })
        let en1 = try await TestHTTPClient.request(port: proxy.port, "GET", "/v", headers: [("Accept-Language", "en")])
        let fr1 = try await TestHTTPClient.request(port: proxy.port, "GET", "/v", headers: [("Accept-Language", "fr")])
        let en2 = try await TestHTTPClient.request(port: proxy.port, "GET", "/v", headers: [("Accept-Language", "en")])
        let fr2 = try await TestHTTPClient.request(port: proxy.port, "GET", "/v", headers: [("Accept-Language", "fr")])
        #expect(en1.bodyString == "lang=en")
        #expect(fr1.bodyString == "lang=fr")
        #expect(en2.bodyString == "lang=en")
        #expect(fr2.bodyString == "lang=fr")
        #expect(en2.header("cache-status")?.contains("hit") == true)
        #expect(fr2.header("cache-status")?.contains("hit") == true)
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// An origin whose GETs answer the current version ("v1", cacheable) and whose writes
    /// (204) move it on.
    static func versionedByWrites() -> @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour {
        let version = NIOLockedValueBox(1)
        return { request in
            if request.method != "GET" {
                version.withLockedValue { $0 += 1 }
                return .respond(status: 204)
            }
            return cacheable("v\(version.withLockedValue { $0 })")
        }
    }

    /// A proxy whose one rule puts `/api/users` in the `users` namespace, which writes under
    /// `/api/users` bump, in front of a `versionedByWrites` origin.
    private static func startWithUsersNamespace() async throws -> (ProxyHarness, TestUpstreamServer) {
        try await ProxyHarness.start(behaviour: versionedByWrites()) { config in
            var rule = CacheRuleConfig(pathPrefix: "/api/users")
            rule.namespace = "users"
            rule.invalidatedBy = ["/api/users"]
            config.cache.rules = [rule]
        }
    }

    @Test func writesInvalidateTheirURLAndNamespace() async throws {
        let (proxy, upstream) = try await Self.startWithUsersNamespace()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users/1").bodyString == "v1")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users?page=2").bodyString == "v1")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/other").bodyString == "v1")
        // A write to one user drops its URL and, through the namespace, the list too.
        #expect(try await TestHTTPClient.request(port: proxy.port, "PUT", "/api/users/1", body: [1]).status == 204)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users/1").bodyString == "v2")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users?page=2").bodyString == "v2")
        // Outside the namespace, nothing changed.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/other").bodyString == "v1")
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect((metrics.value("gatehouse_cache_invalidations_total", ["reason": "write"]) ?? 0) >= 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Rules and `invalidated_by` match the normalised path, as rate-limit policies do: a read or a
    /// write spelled `//api/users` or `/%61pi/users` is under the `/api/users` rule's namespace.
    @Test func otherSpellingsOfAPathFallUnderItsRuleAndInvalidation() async throws {
        let (proxy, upstream) = try await Self.startWithUsersNamespace()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users/1").bodyString == "v1")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "//api/users/2").bodyString == "v1")
        let hit = try await TestHTTPClient.request(port: proxy.port, "GET", "//api/users/2")
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true, "stored under its own, raw, target")
        // A write to neither URL, spelled otherwise, bumps the namespace both were stored in.
        #expect(try await TestHTTPClient.request(port: proxy.port, "PUT", "/%61pi/users/9", body: [1]).status == 204)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/api/users/1").bodyString == "v2")
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "//api/users/2").bodyString == "v2")
        #expect(upstream.receivedRequests.map(\.uri) == ["/api/users/1", "//api/users/2", "/%61pi/users/9", "/api/users/1", "//api/users/2"])
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Behind a trusted TLS terminator, reads are stored under the scheme and host it forwards;
    /// a write through it invalidates those same URLs (it used to drop `http://` + `Host`).
    @Test func aWriteThroughATrustedProxyInvalidatesTheURLItsReadsWereStoredUnder() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: Self.versionedByWrites()) { config in
            config.server.trustedProxies = [IPNetwork(parsing: "127.0.0.1/32")].compactMap { $0 }
        }
        let forwarded = [("Host", "gatehouse.internal"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "api.example")]
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/items/7", headers: forwarded).bodyString == "v1")
        #expect(try await TestHTTPClient.request(port: proxy.port, "PUT", "/items/7", headers: forwarded, body: [1]).status == 204)
        let read = try await TestHTTPClient.request(port: proxy.port, "GET", "/items/7", headers: forwarded)
        #expect(read.bodyString == "v2")
        #expect(read.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func purgeByURLNamespaceAndAll() async throws {
        let counter = NIOLockedValueBox(0)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            Self.cacheable("n\(counter.withLockedValue { $0 += 1; return $0 })")
        }) { config in
            var rule = CacheRuleConfig(pathPrefix: "/ns")
            rule.namespace = "things"
            config.cache.rules = [rule]
        }
        let get = { (path: String) in try await TestHTTPClient.request(port: proxy.port, "GET", path).bodyString }
        let purge = { (json: String) in
            try await TestHTTPClient.request(port: proxy.adminPort, "POST", "/admin/purge", body: Array(json.utf8))
        }
        #expect(try await get("/a") == "n1")
        #expect(try await get("/ns/b") == "n2")
        #expect(try await get("/a") == "n1")
        let byURL = try await purge(#"{"url": "http://127.0.0.1:\#(proxy.port)/a"}"#)
        #expect(byURL.status == 200, "\(byURL.bodyString)")
        #expect(try await get("/a") == "n3")
        #expect(try await get("/ns/b") == "n2")
        #expect(try await purge(#"{"namespace": "things"}"#).status == 200)
        #expect(try await get("/ns/b") == "n4")
        // A namespace no rule has (a typo) is no purge that worked.
        let unknown = try await purge(#"{"namespace": "thing"}"#)
        #expect(unknown.status == 404)
        #expect((unknown.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "NOT_FOUND")
        #expect(unknown.bodyString.contains("things"))
        #expect(try await get("/ns/b") == "n4")
        #expect(try await purge(#"{"all": true}"#).status == 200)
        #expect(try await get("/a") == "n5")
        #expect(try await purge(#"{"nothing": 1}"#).status == 400)
        // Two purges in one body: which one was meant is not for the proxy to guess.
        #expect(try await get("/a") == "n5")
        #expect(try await purge(#"{"url": "http://127.0.0.1:\#(proxy.port)/a", "all": true}"#).status == 400)
        #expect(try await get("/a") == "n5")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The origin answers only once the other 99 wait on the first one's fetch, however slowly
    /// a loaded machine sends them.
    @Test func concurrentMissesMakeOneUpstreamRequest() async throws {
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .gated(gate, then: Self.cacheable("shared"))
        })
        let bodies = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await TestHTTPClient.request(port: proxy.port, "GET", "/hot").bodyString
                }
            }
            group.addTask {
                let arrived = try await proxy.open(gate, onceArrived: 100, at: upstream)
                #expect(arrived, "each went upstream or waits on a fetch")
                return nil
            }
            var bodies: [String] = []
            for try await body in group {
                if let body { bodies.append(body) }
            }
            return bodies
        }
        #expect(bodies.count == 100)
        #expect(bodies.allSatisfy { $0 == "shared" })
        #expect(upstream.receivedRequests.count == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A leader whose client leaves mid-fetch ends its flight: the next request for the key
    /// fetches for itself instead of waiting on a fetch that was dropped.
    @Test func aLeaderWhoseClientLeavesReleasesItsFollowers() async throws {
        let first = FirstCallFlag()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            first.take() ? .hang : Self.cacheable("fresh")
        })
        let leaving = try await TestHTTPClient.connect(port: proxy.port)
        async let abandoned = leaving.send("GET", "/hot")
        #expect(await upstream.waitForRequests(1))
        try await leaving.reset()
        _ = try? await abandoned
        let next = try await TestHTTPClient.request(port: proxy.port, "GET", "/hot", timeout: .seconds(5))
        #expect(next.bodyString == "fresh")
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A leader refused 413 while its body streams (a chunked GET that outgrows `max_body_bytes`
    /// after its head went upstream) ends its flight too: the next request for the URL goes
    /// upstream instead of waiting on a fetch nobody will finish.
    @Test func aLeaderRefusedForItsBodySizeReleasesItsFollowers() async throws {
        let first = FirstCallFlag()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            first.take() ? .hang : Self.cacheable("fresh")
        }) { config in
            config.server.maxBodyBytes = 1_000
        }
        let uploading = try await RawHTTPConnection.connect(port: proxy.port)
        let chunk = "258\r\n" + String(repeating: "a", count: 600) + "\r\n"  // 0x258 = 600 bytes
        try await uploading.write("GET /hot HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
        #expect(await upstream.waitForRequests(1))
        try await uploading.write(chunk)
        #expect(try await uploading.readResponse()?.status == 413)
        let next = try await TestHTTPClient.request(port: proxy.port, "GET", "/hot", headers: [("Host", "t")], timeout: .seconds(5))
        #expect(next.bodyString == "fresh")
        try await uploading.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A fill is read at the origin's pace, whatever its client reads: a leader that reads
    /// slowly (here: not at all) neither holds the requests waiting on its fetch nor keeps the
    /// origin connection.
    @Test func aLeaderThatDoesNotReadDoesNotHoldItsFollowers() async throws {
        let body = patternedBytes(6 << 20)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60")], body: body)
        }) { config in
            config.cache.maxObjectSize = 16 << 20
        }
        let stalled = SmallWindowSocket(port: proxy.port)
        defer { stalled.close() }
        stalled.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        let other = try await TestHTTPClient.request(port: proxy.port, "GET", "/big", headers: [("Host", "t")], timeout: .seconds(10))
        #expect(other.body == body)
        #expect(upstream.receivedRequests.count == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The origin holds every answer after the first until all ten have reached it: requests
    /// queued behind one another would never get there.
    @Test func uncacheableURLsGoUpstreamInParallel() async throws {
        let first = FirstCallFlag()
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            let answer = TestUpstreamBehaviour.respond(headers: [("Cache-Control", "no-store")], body: [1])
            return first.take() ? answer : .gated(gate, then: answer)
        })
        // The first request learns the URL is uncacheable (hit-for-pass).
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/private").status == 200)
        // Now ten concurrent requests must all reach the upstream at once, not queue behind one.
        async let batch: [Int] = withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<10 {
                group.addTask { try await TestHTTPClient.request(port: proxy.port, "GET", "/private").status }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(await upstream.waitForRequests(11))
        gate.open()
        #expect(try await batch.allSatisfy { $0 == 200 })
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func clientConditionalIsAnsweredFromTheCache() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            Self.cacheable("tagged", extra: [("ETag", "\"abc\"")])
        })
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/e").status == 200)
        let conditional = try await TestHTTPClient.request(port: proxy.port, "GET", "/e", headers: [("If-None-Match", "\"abc\"")])
        #expect(conditional.status == 304)
        #expect(conditional.body.isEmpty)
        #expect(conditional.header("etag") == "\"abc\"")
        #expect(upstream.receivedRequests.count == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func staleEntriesAreRevalidatedWith304() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            if request.header("if-none-match") == "\"v1\"" {
                return .respond(status: 304, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=60")])
            }
            return Self.cacheable("body-v1", maxAge: 1, extra: [("ETag", "\"v1\"")])
        }) { config in
            config.cache.staleWhileRevalidate = .zero
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/r").status == 200)
        // Freshness is whole seconds: wait out the one-second lifetime (the clock is what is under test).
        try await Task.sleep(for: .milliseconds(2100))
        let revalidated = try await TestHTTPClient.request(port: proxy.port, "GET", "/r")
        #expect(revalidated.status == 200)
        #expect(revalidated.bodyString == "body-v1")
        #expect(revalidated.header("cache-status")?.contains("fwd=stale; fwd-status=304") == true)
        let hit = try await TestHTTPClient.request(port: proxy.port, "GET", "/r")
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(upstream.receivedRequests.count == 2)
        #expect(upstream.receivedRequests.last?.header("if-none-match") == "\"v1\"")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func staleIsServedWhenTheUpstreamFails() async throws {
        let failing = NIOLockedValueBox(false)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            failing.withLockedValue { $0 } ? .respond(status: 503) : Self.cacheable("good", maxAge: 1)
        }) { config in
            config.cache.staleWhileRevalidate = .zero
            config.cache.staleIfError = .seconds(60)
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/s").bodyString == "good")
        failing.withLockedValue { $0 = true }
        try await Task.sleep(for: .milliseconds(2100))
        let stale = try await TestHTTPClient.request(port: proxy.port, "GET", "/s")
        #expect(stale.status == 200)
        #expect(stale.bodyString == "good")
        #expect(stale.header("cache-status")?.contains("detail=stale-if-error") == true)
        // Without a stored copy, the 503 passes through.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/never-stored").status == 503)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func memoryStaysWithinTheBudgetUnderChurn() async throws {
        let body = Array(repeating: UInt8(ascii: "b"), count: 4_096)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=600")], body: body)
        }) { config in
            config.cache.memoryBudget = 64 * 1024
            config.cache.maxObjectSize = 16 * 1024
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for index in 0..<200 {
            #expect(try await client.send("GET", "/churn/\(index)").status == 200)
        }
        try await client.close()
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        let bytes = try #require(metrics.value("gatehouse_cache_bytes"))
        #expect(bytes > 0 && bytes <= 64 * 1024)
        #expect((metrics.value("gatehouse_cache_evictions_total") ?? 0) > 100)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func bodiesOverTheObjectLimitStreamThroughUnstored() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respondChunked(headers: [("Cache-Control", "max-age=60")], chunks: Array(repeating: Array(repeating: 7, count: 1_000), count: 5))
        }) { config in
            config.cache.maxObjectSize = 2_000
        }
        for _ in 0..<2 {
            let response = try await TestHTTPClient.request(port: proxy.port, "GET", "/big")
            #expect(response.body.count == 5_000)
        }
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}

@Suite struct CacheStaleWhileRevalidateTests {
    /// An origin whose first copy goes stale after a second and whose later ones stay fresh for
    /// the rest of a test, each body naming its copy ("v1", "v2", …).
    private static func startVersionedOrigin() async throws -> (ProxyHarness, TestUpstreamServer) {
        let version = NIOLockedValueBox(0)
        return try await ProxyHarness.start(behaviour: { _ in
            let current = version.withLockedValue { $0 += 1; return $0 }
            return .respond(headers: [("Cache-Control", current == 1 ? "max-age=1" : "max-age=600")], body: Array("v\(current)".utf8))
        }) { config in
            config.cache.staleWhileRevalidate = .seconds(60)
        }
    }

    /// Whether the refreshed copy is served within 10 s: its store follows the upstream's end,
    /// which nothing outside the proxy sees.
    private static func refreshedBodyServed(port: Int) async throws -> Bool {
        try await Polling.until { try await TestHTTPClient.request(port: port, "GET", "/swr").bodyString == "v2" }
    }

    @Test func staleIsServedWhileOneBackgroundRefreshRuns() async throws {
        let (proxy, upstream) = try await Self.startVersionedOrigin()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/swr").bodyString == "v1")
        // Wait out the one-second lifetime (the clock is what is under test).
        try await Task.sleep(for: .milliseconds(2100))
        let stale = try await TestHTTPClient.request(port: proxy.port, "GET", "/swr")
        #expect(stale.bodyString == "v1")
        #expect(stale.header("cache-status")?.hasPrefix("gatehouse; hit; fwd=stale") == true)
        // The background refresh reaches the upstream on its own.
        #expect(await upstream.waitForRequests(2))
        #expect(try await Self.refreshedBodyServed(port: proxy.port))
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A background refresh is upstream traffic and a store like a client's: counted in
    /// `gatehouse_upstream_requests_total`, its latency histogram and
    /// `gatehouse_cache_stores_total` (it used to be invisible to all three).
    @Test func aBackgroundRefreshIsCountedInTheMetrics() async throws {
        let (proxy, upstream) = try await Self.startVersionedOrigin()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/swr").bodyString == "v1")
        try await Task.sleep(for: .milliseconds(2100))  // the clock is what is under test
        let before = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        let stale = try await TestHTTPClient.request(port: proxy.port, "GET", "/swr")
        #expect(stale.header("cache-status")?.hasPrefix("gatehouse; hit; fwd=stale") == true)
        #expect(await upstream.waitForRequests(2))
        #expect(try await Self.refreshedBodyServed(port: proxy.port))
        #expect(upstream.receivedRequests.count == 2)
        let after = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        for name in ["gatehouse_upstream_requests_total", "gatehouse_upstream_duration_seconds_count", "gatehouse_cache_stores_total"] {
            #expect((after.value(name) ?? 0) == (before.value(name) ?? 0) + 1, "\(name)")
        }
        #expect(after.value("gatehouse_upstream_requests_total", ["code": "200"]) == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A refresh the origin fails is counted in `gatehouse_upstream_errors_total`, as a client's is.
    @Test func aFailedBackgroundRefreshIsCountedAsAnUpstreamError() async throws {
        let first = FirstCallFlag()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            first.take() ? .respond(headers: [("Cache-Control", "max-age=1")], body: Array("v1".utf8)) : .closeWithoutResponse
        }) { config in
            config.cache.staleWhileRevalidate = .seconds(60)
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/swr").bodyString == "v1")
        try await Task.sleep(for: .milliseconds(2100))  // the clock is what is under test
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/swr").bodyString == "v1")
        #expect(await upstream.waitForRequests(2))
        // Bounded: the failure follows the origin's close of the connection.
        var errors: Double?
        _ = try await Polling.until {
            let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
            errors = metrics.value("gatehouse_upstream_errors_total")
            return errors != nil
        }
        #expect(errors == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A HEAD that finds the entry stale starts the same refresh as a GET, and its new 200 is
    /// stored for the GETs after it (it used to be judged as a response to HEAD: not stored).
    @Test func aRefreshStartedByHEADStoresTheNewResponse() async throws {
        let (proxy, upstream) = try await Self.startVersionedOrigin()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/swr").bodyString == "v1")
        try await Task.sleep(for: .milliseconds(2100))  // the clock is what is under test
        let head = try await TestHTTPClient.request(port: proxy.port, "HEAD", "/swr")
        #expect(head.header("cache-status")?.hasPrefix("gatehouse; hit; fwd=stale") == true)
        #expect(await upstream.waitForRequests(2))
        #expect(try await Self.refreshedBodyServed(port: proxy.port))
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
