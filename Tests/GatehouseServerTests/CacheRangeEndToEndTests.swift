// CacheRangeEndToEndTests: range requests answered from stored responses (206, 416), in a buffer or a memory file; range misses filling the cache, or forwarded untouched when what they fetch won't be stored.
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct CacheRangeEndToEndTests {
    /// 1,000 bytes stay in a buffer; 300,000 go into a memory file and out by sendfile.
    @Test(arguments: [1_000, 300_000])
    func freshEntriesAnswerRanges(size: Int) async throws {
        let body = patternedBytes(size)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\"")], body: body)
        })
        let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/file")
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")

        let client = try await TestHTTPClient.connect(port: proxy.port)
        let first = try await client.send("GET", "/file", headers: [("Range", "bytes=0-99")])
        #expect(first.status == 206)
        #expect(first.header("content-range") == "bytes 0-99/\(size)")
        #expect(first.header("content-length") == "100")
        #expect(first.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(first.header("etag") == "\"v1\"")
        #expect(first.body == Array(body[0..<100]))

        let middle = try await client.send("GET", "/file", headers: [("Range", "bytes=500-")])
        #expect(middle.status == 206)
        #expect(middle.header("content-range") == "bytes 500-\(size - 1)/\(size)")
        #expect(middle.body == Array(body[500...]))

        let suffix = try await client.send("GET", "/file", headers: [("Range", "bytes=-10"), ("If-Range", "\"v1\"")])
        #expect(suffix.status == 206)
        #expect(suffix.body == Array(body[(size - 10)...]))

        // Another version than the client's part: the whole response.
        let changed = try await client.send("GET", "/file", headers: [("Range", "bytes=0-9"), ("If-Range", "\"v0\"")])
        #expect(changed.status == 200)
        #expect(changed.body == body)

        let several = try await client.send("GET", "/file", headers: [("Range", "bytes=0-1,5-6")])
        #expect(several.status == 200)
        #expect(several.body == body)

        let outside = try await client.send("GET", "/file", headers: [("Range", "bytes=\(size)-")])
        #expect(outside.status == 416)
        #expect(outside.header("content-range") == "bytes */\(size)")
        #expect(outside.header("content-type") == "application/json")
        #expect(outside.bodyString.contains("\"RANGE_NOT_SATISFIABLE\""))
        #expect(outside.header("cache-status")?.hasPrefix("gatehouse; hit") == true)

        // The connection is still in step after every kind of answer.
        let whole = try await client.send("GET", "/file")
        #expect(whole.status == 200)
        #expect(whole.body == body)
        let head = try await client.send("HEAD", "/file", headers: [("Range", "bytes=0-9")])
        #expect(head.status == 200, "HEAD ignores Range")
        #expect(head.header("content-length") == "\(size)")
        try await client.close()
        #expect(upstream.receivedRequests.count == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The origin's answer to a request with `Range`: a 206 with a marker body, so a part the
    /// proxy got from the origin is told apart from one it cut from a stored response.
    static func originPart(_ request: TestUpstreamRequest) -> TestUpstreamBehaviour {
        .respond(status: 206, headers: [("Content-Range", "bytes 0-9/10")], body: Array("origin-206".utf8))
    }

    @Test(arguments: [1_000, 300_000])
    func aRangeMissFillsTheCacheAndGetsItsPart(size: Int) async throws {
        let body = patternedBytes(size)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            guard request.header("range") == nil else { return Self.originPart(request) }
            return .respond(headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\"")], body: body)
        })
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let miss = try await client.send("GET", "/file", headers: [("Range", "bytes=10-19"), ("If-Range", "\"v1\""), ("If-None-Match", "\"v0\"")])
        #expect(miss.status == 206)
        #expect(miss.header("content-range") == "bytes 10-19/\(size)")
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(miss.body == Array(body[10...19]))
        let fetch = try #require(upstream.receivedRequests.first)
        #expect(fetch.header("range") == nil && fetch.header("if-range") == nil, "the whole response is fetched")
        #expect(fetch.header("if-none-match") == nil)

        let hit = try await client.send("GET", "/file", headers: [("Range", "bytes=-5")])
        #expect(hit.status == 206)
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(hit.body == Array(body[(size - 5)...]))
        let whole = try await client.send("GET", "/file")
        #expect(whole.status == 200)
        #expect(whole.body == body)

        // A range outside the fetched body: 416 once it is stored, and stored all the same.
        let outside = try await client.send("GET", "/other", headers: [("Range", "bytes=\(size)-")])
        #expect(outside.status == 416)
        #expect(outside.header("content-range") == "bytes */\(size)")
        #expect(outside.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        let other = try await client.send("GET", "/other")
        #expect(other.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        try await client.close()
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    enum Unstorable: String, CaseIterable {
        case lengthOverMaxObjectSize, noStore, chunkedBodyOutgrowsMaxObjectSize
    }

    /// A fill that won't be stored is dropped and the part asked of the origin instead; the
    /// URL's hit-for-pass mark then sends the next range request straight there.
    @Test(arguments: Unstorable.allCases)
    func anUnstorableFillIsAskedAgainForThePart(_ unstorable: Unstorable) async throws {
        let body = patternedBytes(5_000)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            guard request.header("range") == nil else { return Self.originPart(request) }
            switch unstorable {
            case .lengthOverMaxObjectSize:
                return .respond(headers: [("Cache-Control", "max-age=60")], body: body)
            case .noStore:
                return .respond(headers: [("Cache-Control", "no-store")], body: Array(body[0..<100]))
            case .chunkedBodyOutgrowsMaxObjectSize:
                return .respondChunked(headers: [("Cache-Control", "max-age=60")], chunks: [Array(body[0..<1_500]), Array(body[1_500...])])
            }
        }) { config in
            config.cache.maxObjectSize = 2_000
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let part = try await client.send("GET", "/file", headers: [("Range", "bytes=0-9"), ("If-Range", "\"v1\"")])
        #expect(part.status == 206)
        #expect(part.bodyString == "origin-206")
        #expect(part.header("cache-status") == "gatehouse; fwd=uri-miss")
        #expect(upstream.receivedRequests.count == 2)
        let again = try #require(upstream.receivedRequests.last)
        #expect(again.header("range") == "bytes=0-9")
        #expect(again.header("if-range") == "\"v1\"")

        let next = try await client.send("GET", "/file", headers: [("Range", "bytes=0-9")])
        #expect(next.bodyString == "origin-206")
        #expect(upstream.receivedRequests.count == 3, "no second fill")
        #expect(upstream.receivedRequests.last?.header("range") == "bytes=0-9")
        // The connection is in step (the dropped fetch left nothing behind on it).
        let plain = try await client.send("GET", "/file")
        #expect(plain.status == 200)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func aFillAnsweredWithAnErrorRelaysIt() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .text("origin trouble", status: 500) })
        let answer = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=0-9")])
        #expect(answer.status == 500)
        #expect(answer.bodyString == "origin trouble")
        #expect(upstream.receivedRequests.count == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The withheld response fails mid-body: nothing of it reached the client, so it gets a 502
    /// in the JSON format and its connection stays in step for what it pipelined behind; the
    /// next request fetches again.
    @Test func aFillCutMidBodyIsA502AndTheConnectionGoesOn() async throws {
        let body = patternedBytes(1_000)
        let first = FirstCallFlag()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            let cutThis = first.take()
            // A storable head, then a tenth of the body it promises, then the connection closes.
            let truncated = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "x", count: 100)
            return cutThis ? .rawResponse(Array(truncated.utf8)) : .respond(headers: [("Cache-Control", "max-age=60")], body: body)
        })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write(
            "GET /file HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n" + "GET /file HTTP/1.1\r\nHost: t\r\nRange: bytes=10-19\r\n\r\n"
        )
        let failed = try #require(try await connection.readResponse())
        #expect(failed.status == 502)
        #expect(failed.header("content-type") == "application/json")
        // It did respond: the message says where it stopped (it said "before responding").
        #expect(failed.bodyString.contains("Upstream closed the connection before its response ended"))
        let part = try #require(try await connection.readResponse())
        #expect(part.status == 206)
        #expect(part.body == Array(body[10...19]))
        #expect(upstream.receivedRequests.map { $0.header("range") } == [nil, nil], "both fetched the whole")
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Range requests take part in single flight both ways: a part waits for a whole fetch in
    /// progress, and a whole request waits for a range request's fill. The origin answers the
    /// fetch once the second request waits on it.
    @Test(arguments: [true, false])
    func rangeRequestsShareAFetchInProgress(rangeLeads: Bool) async throws {
        let body = patternedBytes(1_000)
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            guard request.header("range") == nil else { return Self.originPart(request) }
            return .gated(gate, then: .respond(headers: [("Cache-Control", "max-age=60")], body: body))
        })
        let ranged: [(String, String)] = [("Range", "bytes=100-199")]
        async let first = TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: rangeLeads ? ranged : [])
        #expect(await upstream.waitForRequests(1))
        async let waiting = TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: rangeLeads ? [] : ranged)
        let joined = try await proxy.waitForFollowers(1)
        gate.open()
        #expect(joined, "the second request waits on the first one's fetch")
        let second = try await waiting
        let leader = try await first
        let (part, whole) = rangeLeads ? (leader, second) : (second, leader)
        #expect(part.status == 206)
        #expect(part.body == Array(body[100...199]))
        #expect(whole.status == 200)
        #expect(whole.body == body)
        #expect(upstream.receivedRequests.count == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func aStaleEntryServesItsPartWhileTheRefreshFetchesTheWhole() async throws {
        let body = patternedBytes(1_000)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=0, stale-while-revalidate=60")], body: body)
        })
        _ = try await TestHTTPClient.request(port: proxy.port, "GET", "/file")
        let part = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=1-2"), ("If-Modified-Since", "Tue, 03 Nov 2026 10:00:00 GMT")])
        #expect(part.status == 206)
        #expect(part.header("cache-status")?.hasPrefix("gatehouse; hit; fwd=stale") == true)
        #expect(part.body == Array(body[1...2]))
        // The background refresh asks for the whole response, without the client's range or conditionals.
        #expect(await upstream.waitForRequests(2))
        let refresh = try #require(upstream.receivedRequests.last)
        #expect(refresh.header("range") == nil && refresh.header("if-modified-since") == nil)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A range with a stale entry revalidates the whole entry (no `Range` upstream) and is cut
    /// from the refreshed entry.
    @Test func aStaleRangeRevalidatesTheEntryAndGetsItsPart() async throws {
        let body = patternedBytes(1_000)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            if request.header("if-none-match") == "\"v1\"" {
                return .respond(status: 304, headers: [("Cache-Control", "max-age=60, no-cache"), ("ETag", "\"v1\"")])
            }
            return .respond(headers: [("Cache-Control", "max-age=60, no-cache"), ("ETag", "\"v1\"")], body: body)
        })
        _ = try await TestHTTPClient.request(port: proxy.port, "GET", "/file")
        let part = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=1-2")])
        #expect(part.status == 206)
        #expect(part.body == Array(body[1...2]))
        #expect(part.header("cache-status")?.hasPrefix("gatehouse; fwd=stale; fwd-status=304") == true)
        let sent = try #require(upstream.receivedRequests.last)
        #expect(sent.header("range") == nil)
        #expect(sent.header("if-none-match") == "\"v1\"", "a revalidation of the entry")
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The origin fails while a range request refreshes a stale entry: the part comes from the
    /// stale entry (stale-if-error), as a whole request's answer would.
    @Test func aStaleRangeIsServedFromTheEntryWhenTheOriginFails() async throws {
        let body = patternedBytes(1_000)
        let failing = NIOLockedValueBox(false)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            failing.withLockedValue { $0 }
                ? .text("down", status: 503)
                : .respond(headers: [("Cache-Control", "max-age=0, stale-if-error=60")], body: body)
        }) { config in
            config.cache.staleWhileRevalidate = .zero
        }
        _ = try await TestHTTPClient.request(port: proxy.port, "GET", "/file")
        failing.withLockedValue { $0 = true }
        let part = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=10-19")])
        #expect(part.status == 206)
        #expect(part.body == Array(body[10...19]))
        #expect(part.header("cache-status")?.contains("fwd-status=503") == true)
        #expect(upstream.receivedRequests.last?.header("range") == nil)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func redisEntriesAnswerRangesToo() async throws {
        try await RedisServerProcess.with { redis in
            let body = patternedBytes(70_000)
            let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
                .respond(headers: [("Cache-Control", "max-age=60")], body: body)
            }) { config in
                config.cache.store = .redis
                config.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
            }
            let fill = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=69990-")])
            #expect(fill.status == 206)
            #expect(fill.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
            #expect(fill.body == Array(body[69990...]))
            // The entry reaches Redis after the response has ended: a bounded wait for the first hit.
            var part = fill
            _ = try await Polling.until(every: .milliseconds(20)) {
                part = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=69990-")])
                return part.header("cache-status")?.hasPrefix("gatehouse; hit") == true
            }
            #expect(part.status == 206)
            #expect(part.header("content-range") == "bytes 69990-69999/70000")
            #expect(part.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
            #expect(part.body == Array(body[69990...]))
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }
}
