// CacheBodyFileEndToEndTests: large hits sent with sendfile from memory files arrive byte for byte, even when purged mid-send.
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

@Suite struct CacheBodyFileEndToEndTests {
    static func bodyFiles(adminPort: Int) async throws -> Double? {
        let metrics = PrometheusText(try await TestHTTPClient.request(port: adminPort, "GET", "/metrics").bodyString)
        return metrics.value("gatehouse_cache_body_files")
    }

    static func purgeAll(adminPort: Int) async throws {
        let purge = try await TestHTTPClient.request(port: adminPort, "POST", "/admin/purge", body: Array(#"{"all": true}"#.utf8))
        #expect(purge.status == 200)
    }

    @Test func largeHitsComeFromAMemoryFileByteForByte() async throws {
        let body = patternedBytes(300_000)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60")], body: body)
        })
        let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/large")
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(miss.body == body)
        #expect(try await Self.bodyFiles(adminPort: proxy.adminPort) == 1)

        // Two connections at once (the harness's loops are shared), several hits each.
        async let first = Self.hits(port: proxy.port, count: 4)
        async let second = Self.hits(port: proxy.port, count: 4)
        for hit in try await first + second {
            #expect(hit.status == 200)
            #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
            #expect(hit.header("content-length") == "300000")
            #expect(hit.body == body)
        }
        // A client that closes after the response: the file's write ends before the connection does.
        let closing = SmallWindowSocket(port: proxy.port)
        defer { closing.close() }
        closing.send("GET /large HTTP/1.0\r\nHost: 127.0.0.1:\(proxy.port)\r\n\r\n")
        let closed = await closing.readResponse()
        #expect(closed.head.contains("Cache-Status: gatehouse; hit"))
        #expect(closed.head.contains("Connection: close"))
        #expect(closed.body == body)

        let head = try await TestHTTPClient.request(port: proxy.port, "HEAD", "/large")
        #expect(head.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(head.header("content-length") == "300000")
        #expect(head.body.isEmpty)
        #expect(upstream.receivedRequests.count == 1)

        try await Self.purgeAll(adminPort: proxy.adminPort)
        #expect(try await Self.bodyFiles(adminPort: proxy.adminPort) == 0)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func aLargeHitsHeadLeavesInTheSameSegmentAsItsBody() async throws {
        // 100 KiB: a memory-file body, and with its head at most two loopback segments (~64 KiB each).
        let body = patternedBytes(102_400)
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60")], body: body)
        })
        let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/large")
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")

        // A receive window that is never the limit, read in large chunks: the segments are then
        // the proxy's doing, not the reader's.
        let client = SmallWindowSocket(port: proxy.port, receiveBuffer: 4 << 20)
        defer { client.close() }
        var segments: [UInt32] = []
        for _ in 0..<8 {
            let before = try #require(client.dataSegmentsReceived())
            client.send("GET /large HTTP/1.1\r\nHost: 127.0.0.1:\(proxy.port)\r\n\r\n")
            let hit = await client.readResponse(chunk: 1 << 20)
            #expect(hit.head.contains("Cache-Status: gatehouse; hit"))
            #expect(hit.body == body)
            segments.append(try #require(client.dataSegmentsReceived()) - before)
        }
        // A head written on its own is a segment of its own: three or more every time. Held for
        // the body, two whenever the receive window is open (a busy reader may shrink it for some).
        #expect(segments.min() == 2, "data segments per response: \(segments)")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func pipelinedLargeHitsArriveWholeAndInOrderWhileTheFirstIsStillBeingSent() async throws {
        // 8 MiB: the first response's sendfile is still pending when the next heads are written,
        // so a head sent straight to the socket would land inside the first body.
        let body = patternedBytes(8 << 20)
        let (proxy, upstream) = try await Self.startWithHugeEntry(body)

        let reader = SmallWindowSocket(port: proxy.port)
        defer { reader.close() }
        reader.send(String(repeating: "GET /huge HTTP/1.1\r\nHost: t\r\n\r\n", count: 3))
        // All three are answered (their writes queued) before the client reads a byte.
        #expect(try await proxy.waitForGauge("gatehouse_cache_lookups_total", ["result": "hit"], toRead: 3))
        for _ in 0..<3 {
            let received = await reader.readResponse()
            #expect(received.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(received.head.contains("Cache-Status: gatehouse; hit"))
            #expect(received.body == body)
        }
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A proxy whose cache holds `body` (several MiB, over the default object size) for
    /// `GET /huge` with `Host: t`, stored by one miss.
    private static func startWithHugeEntry(_ body: [UInt8]) async throws -> (ProxyHarness, TestUpstreamServer) {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60")], body: body)
        }) { config in
            config.cache.maxObjectSize = 16 << 20
        }
        let miss = try await TestHTTPClient.request(port: proxy.port, "GET", "/huge", headers: [("Host", "t")])
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        #expect(miss.body.count == body.count)
        return (proxy, upstream)
    }

    private static func hits(port: Int, count: Int) async throws -> [TestHTTPResponse] {
        let client = try await TestHTTPClient.connect(port: port)
        var responses: [TestHTTPResponse] = []
        for _ in 0..<count {
            responses.append(try await client.send("GET", "/large"))
        }
        try await client.close()
        return responses
    }

    @Test func anEntryPurgedWhileItsBodyIsBeingSentStillArrivesWhole() async throws {
        // 8 MiB: more than the kernel takes into a loopback socket at once (tcp_wmem's 4 MiB
        // ceiling plus the reader's small buffer), so the write is still pending at the purge.
        let body = patternedBytes(8 << 20)
        let (proxy, upstream) = try await Self.startWithHugeEntry(body)

        let reader = SmallWindowSocket(port: proxy.port)
        defer { reader.close() }
        reader.send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n")
        // The hit is looked up and its write begun in one turn of the proxy's event loop.
        #expect(try await proxy.waitForGauge("gatehouse_cache_lookups_total", ["result": "hit"], toRead: 1))
        try await Self.purgeAll(adminPort: proxy.adminPort)
        // The entry is gone; its file stays open for the write still under way.
        #expect(try await Self.bodyFiles(adminPort: proxy.adminPort) == 1)

        let received = await reader.readResponse()
        #expect(received.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(received.head.contains("Cache-Status: gatehouse; hit"))
        #expect(received.body.count == body.count)
        #expect(received.body == body)

        // The file closes once its write has ended (the proxy learns of it after the client read it).
        var open: Double? = 1
        for _ in 0..<500 where open != 0 {
            open = try await Self.bodyFiles(adminPort: proxy.adminPort)
            if open != 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(open == 0)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
