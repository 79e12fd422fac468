// CacheRangeEndToEndTests: range requests answered from stored responses (206, 416), in a buffer or a memory file, and forwarded untouched when nothing fresh is stored.
import GatehouseCore
import GatehouseTesting
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

    @Test func aRangeWithoutAFreshEntryGoesUpstreamAsItCameAndStoresNothing() async throws {
        let body = patternedBytes(1_000)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            guard request.header("range") != nil else {
                return .respond(headers: [("Cache-Control", "max-age=1"), ("ETag", "\"v1\"")], body: body)
            }
            return .respond(
                status: 206, headers: [("Cache-Control", "max-age=60"), ("Content-Range", "bytes 0-9/1000")], body: Array(body[0..<10])
            )
        })
        let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=0-9"), ("If-Range", "\"v1\"")])
        #expect(miss.status == 206)
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss")
        #expect(miss.body == Array(body[0..<10]))
        let forwarded = try #require(upstream.receivedRequests.first)
        #expect(forwarded.header("range") == "bytes=0-9")
        #expect(forwarded.header("if-range") != nil)

        // The part was not stored: the whole response is a miss of its own, and is stored.
        let full = try await TestHTTPClient.request(port: proxy.port, "GET", "/file")
        #expect(full.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(full.body == body)
        #expect(upstream.receivedRequests.count == 2)
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

    @Test func anEntryThatMustBeRevalidatedLetsTheRangeGoUpstream() async throws {
        let body = patternedBytes(1_000)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60, no-cache"), ("ETag", "\"v1\"")], body: body)
        })
        _ = try await TestHTTPClient.request(port: proxy.port, "GET", "/file")
        let forwarded = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=1-2")])
        #expect(forwarded.header("cache-status") == "gatehouse; fwd=stale")
        let sent = try #require(upstream.receivedRequests.last)
        #expect(sent.header("range") == "bytes=1-2")
        #expect(sent.header("if-none-match") == nil, "not turned into a revalidation")
        #expect(upstream.receivedRequests.count == 2)
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
            _ = try await TestHTTPClient.request(port: proxy.port, "GET", "/file")
            // The entry reaches Redis after the response has ended: a bounded wait for the first hit.
            var part = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=69990-")])
            for _ in 0..<50 where part.status != 206 {
                try await Task.sleep(for: .milliseconds(20))
                part = try await TestHTTPClient.request(port: proxy.port, "GET", "/file", headers: [("Range", "bytes=69990-")])
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
