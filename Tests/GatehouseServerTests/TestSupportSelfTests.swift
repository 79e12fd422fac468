// Sanity tests of the GatehouseTesting helpers against each other over real sockets.
import GatehouseTesting
import NIOCore
import Testing

@Suite("GatehouseTesting self-tests")
struct TestSupportSelfTests {
    /// Starts an upstream, runs `body`, and always shuts the upstream down.
    private func withUpstream<Result>(
        _ behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour,
        _ body: (TestUpstreamServer) async throws -> Result
    ) async throws -> Result {
        let upstream = try await TestUpstreamServer.start(behaviour: behaviour)
        do {
            let result = try await body(upstream)
            try await upstream.shutdown()
            return result
        } catch {
            try? await upstream.shutdown()
            throw error
        }
    }

    @Test func respondRoundTrip() async throws {
        try await self.withUpstream({ _ in
            .respond(status: 201, headers: [("X-Test", "one"), ("x-test", "two")], body: Array("hello".utf8))
        }) { upstream in
            let response = try await TestHTTPClient.request(
                port: upstream.port, "POST", "/items?x=1", headers: [("X-Client", "yes")], body: Array("abc".utf8)
            )
            #expect(response.status == 201)
            #expect(response.bodyString == "hello")
            #expect(response.header("content-length") == "5")
            #expect(response.headerValues("X-TEST") == ["one", "two"])
            let request = try #require(upstream.receivedRequests.first)
            #expect(request.method == "POST")
            #expect(request.uri == "/items?x=1")
            #expect(request.header("x-client") == "yes")
            #expect(request.header("Host") == "127.0.0.1:\(upstream.port)")
            #expect(request.bodyByteCount == 3)
        }
    }

    @Test func respondChunkedRoundTrip() async throws {
        try await self.withUpstream({ _ in
            .respondChunked(chunks: [Array("ab".utf8), [], Array("cde".utf8)])
        }) { upstream in
            let response = try await TestHTTPClient.request(port: upstream.port, "GET", "/")
            #expect(response.status == 200)
            #expect(response.header("Transfer-Encoding") == "chunked")
            #expect(response.header("Content-Length") == nil)
            #expect(response.bodyString == "abcde")
        }
    }

    @Test func drainRequestAnswersByteCountAsJSON() async throws {
        try await self.withUpstream({ _ in .drainRequestThenRespond() }) { upstream in
            let client = try await TestHTTPClient.connect(port: upstream.port)
            let response = try await client.sendStreaming("PUT", "/upload", bodyLength: 1_000_003, timeout: .seconds(30))
            #expect(response.status == 200)
            #expect(response.complete)
            #expect(upstream.receivedRequests.first?.bodyByteCount == 1_000_003)
            let again = try await client.send("POST", "/small", body: Array(repeating: 1, count: 10))
            #expect(again.jsonObject()?["received"] as? Int == 10)
            try await client.close()
        }
    }

    @Test func echoStreamsFiveMebibyteUploadBack() async throws {
        let length = 5 * 1024 * 1024 + 17
        try await self.withUpstream({ _ in .echo }) { upstream in
            let client = try await TestHTTPClient.connect(port: upstream.port)
            let response = try await client.sendStreaming("POST", "/echo", bodyLength: length)
            #expect(response.status == 200)
            #expect(response.complete)
            #expect(response.bodyByteCount == length)
            #expect(response.bodyChecksum == TestStreamedResponse.checksum(pattern: TestHTTPClient.defaultBodyChunk, length: length))
            #expect(upstream.receivedRequests.first?.bodyByteCount == length)
            try await client.close()
        }
    }

    @Test func streamsFiftyMebibytesWithMatchingChecksum() async throws {
        let length = 50 * 1024 * 1024
        let pattern = Array("0123456789abcdefghijklmnopqrstuvwxyz!".utf8)
        try await self.withUpstream({ _ in .stream(length: length, pattern: pattern) }) { upstream in
            let client = try await TestHTTPClient.connect(port: upstream.port)
            let response = try await client.sendStreaming("GET", "/big")
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == String(length))
            #expect(response.complete)
            #expect(response.bodyByteCount == length)
            #expect(response.bodyChecksum == TestHTTPClient.checksum(pattern: pattern, length: length))
            try await client.close()
        }
    }

    @Test func streamedBodyEqualsPatternByteForByte() async throws {
        let pattern: [UInt8] = [1, 2, 3, 4, 5, 6, 7]
        let length = 200_001
        try await self.withUpstream({ _ in .stream(length: length, pattern: pattern) }) { upstream in
            let response = try await TestHTTPClient.request(port: upstream.port, "GET", "/")
            let expected = (0..<length).map { pattern[$0 % pattern.count] }
            #expect(response.body == expected)
            #expect(TestBodyChecksum.of(response.body) == TestBodyChecksum.repeating(pattern, length: length))
        }
    }

    @Test func resetAfterHeadIsSeenAsIncomplete() async throws {
        try await self.withUpstream({ _ in .resetAfterHead(contentLength: 1_000_000, bodyBytesBeforeReset: 1000) }) { upstream in
            await #expect(throws: TestHTTPClientError.connectionClosed) {
                _ = try await TestHTTPClient.request(port: upstream.port, "GET", "/")
            }
            let client = try await TestHTTPClient.connect(port: upstream.port)
            do {
                let streamed = try await client.sendStreaming("GET", "/")
                #expect(!streamed.complete)
                #expect(streamed.status == 200)
                #expect(streamed.bodyByteCount <= 1000)
            } catch let error as TestHTTPClientError {
                // A reset can overtake the head on its way up the stack; that is a cut too.
                #expect(error == .connectionClosed)
            }
            #expect(await client.waitForClose(timeout: .seconds(30)))
            #expect(!client.isOpen)
        }
    }

    @Test func delayAnswersLaterAndClientTimesOut() async throws {
        try await self.withUpstream({ request in
            request.uri == "/slow" ? .delay(.seconds(5), then: .text("late")) : .delay(.milliseconds(200), then: .text("ok"))
        }) { upstream in
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await TestHTTPClient.request(port: upstream.port, "GET", "/")
            #expect(response.bodyString == "ok")
            #expect(clock.now - start >= .milliseconds(200))

            let client = try await TestHTTPClient.connect(port: upstream.port)
            await #expect(throws: TestHTTPClientError.timeout) {
                _ = try await client.send("GET", "/slow", timeout: .milliseconds(300))
            }
            #expect(await client.waitForClose(timeout: .seconds(30)))
        }
    }

    @Test func delayedEchoKeepsBodyArrivingDuringTheDelay() async throws {
        let length = 3 * 1024 * 1024
        try await self.withUpstream({ _ in .delay(.milliseconds(100), then: .echo) }) { upstream in
            let client = try await TestHTTPClient.connect(port: upstream.port)
            for _ in 1...2 {
                let response = try await client.sendStreaming("PUT", "/", bodyLength: length)
                #expect(response.complete)
                #expect(response.bodyChecksum == TestHTTPClient.checksum(pattern: TestHTTPClient.defaultBodyChunk, length: length))
            }
            try await client.close()
            #expect(upstream.acceptedConnections == 1)
        }
    }

    @Test func keepAliveReusesOneConnection() async throws {
        try await self.withUpstream({ request in .text(request.uri) }) { upstream in
            let client = try await TestHTTPClient.connect(port: upstream.port)
            for index in 1...3 {
                let response = try await client.send("GET", "/r\(index)")
                #expect(response.bodyString == "/r\(index)")
            }
            #expect(client.isOpen)
            try await client.close()
            #expect(upstream.acceptedConnections == 1)
            #expect(upstream.receivedRequests.map(\.connectionNumber) == [1, 1, 1])
        }
    }

    @Test func connectionCloseRequestClosesUpstreamConnection() async throws {
        try await self.withUpstream({ _ in .text("bye") }) { upstream in
            let client = try await TestHTTPClient.connect(port: upstream.port)
            let response = try await client.send("GET", "/", headers: [("Connection", "close")])
            #expect(response.header("Connection") == "close")
            #expect(await client.waitForClose(timeout: .seconds(30)))
            await #expect(throws: TestHTTPClientError.connectionClosed) {
                _ = try await client.send("GET", "/again")
            }
        }
    }

    @Test func closeWithoutResponseAndHang() async throws {
        try await self.withUpstream({ request in request.uri == "/close" ? .closeWithoutResponse : .hang }) { upstream in
            await #expect(throws: TestHTTPClientError.connectionClosed) {
                _ = try await TestHTTPClient.request(port: upstream.port, "GET", "/close")
            }
            let client = try await TestHTTPClient.connect(port: upstream.port)
            let hung = Task { try await client.send("GET", "/hang", timeout: .seconds(1)) }
            #expect(await upstream.waitForRequests(2, timeout: .seconds(5)))
            await #expect(throws: TestHTTPClientError.timeout) {
                _ = try await hung.value
            }
            #expect(await !upstream.waitForRequests(3, timeout: .milliseconds(50)))
        }
    }

    @Test func shutdownClosesHangingConnections() async throws {
        let upstream = try await TestUpstreamServer.start(always: .hang)
        let raw = try await RawHTTPConnection.connect(port: upstream.port)
        try await raw.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        try await upstream.shutdown()
        #expect(try await raw.waitForClose(timeout: .seconds(5)))
        #expect(try await raw.readResponse() == nil)
    }

    @Test func rawPipeliningReadsTwoResponses() async throws {
        try await self.withUpstream({ request in .text("body of \(request.uri)") }) { upstream in
            let raw = try await RawHTTPConnection.connect(port: upstream.port)
            try await raw.write(
                "GET /one HTTP/1.1\r\nHost: a\r\n\r\nPOST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd"
            )
            let first = try #require(try await raw.readResponse())
            let second = try #require(try await raw.readResponse())
            #expect(first.status == 200)
            #expect(first.bodyString == "body of /one")
            #expect(second.bodyString == "body of /two")
            #expect(raw.unparsedBytes.isEmpty)
            #expect(upstream.acceptedConnections == 1)
            #expect(upstream.receivedRequests.map(\.bodyByteCount) == [0, 4])
            try await raw.close()
        }
    }

    @Test func rawParsesChunkedHeadAndReadUntilClose() async throws {
        let chunkedWithTrailer = Array(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n".utf8
        )
        try await self.withUpstream({ request in
            switch request.uri {
            case "/chunked": return .rawResponse(chunkedWithTrailer)
            case "/until-close": return .rawResponse(Array("HTTP/1.1 200 OK\r\n\r\nall of it".utf8))
            default: return .respond(body: Array("12345".utf8))
            }
        }) { upstream in
            let raw = try await RawHTTPConnection.connect(port: upstream.port)
            try await raw.write("HEAD /head HTTP/1.1\r\nHost: a\r\n\r\n")
            let head = try #require(try await raw.readResponse(forHEAD: true))
            #expect(head.header("Content-Length") == "5")
            #expect(head.body.isEmpty)

            try await raw.write("GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n")
            let chunked = try #require(try await raw.readResponse())
            #expect(chunked.bodyString == "abc0123456789")
            #expect(chunked.trailers.first?.value == "t")
            #expect(try await raw.readResponse() == nil)

            let untilClose = try await RawHTTPConnection.connect(port: upstream.port)
            try await untilClose.write("GET /until-close HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try #require(try await untilClose.readResponse())
            #expect(response.bodyString == "all of it")
            #expect(String(decoding: untilClose.receivedBytes, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    @Test func rawReadTimesOutWithoutClosing() async throws {
        try await self.withUpstream({ _ in .hang }) { upstream in
            let raw = try await RawHTTPConnection.connect(port: upstream.port)
            try await raw.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            await #expect(throws: TestHTTPClientError.timeout) {
                _ = try await raw.readResponse(timeout: .milliseconds(200))
            }
            #expect(raw.isOpen)
            try await raw.close()
        }
    }

    @Test(arguments: [0, 1, 6, 7, 8, 9, 63, 64, 1000, 65_537])
    func repeatedPatternChecksumMatchesDirectChecksum(length: Int) {
        for pattern: [UInt8] in [[9], [1, 2, 3], Array(0...255), Array(repeating: 0, count: 10)] {
            let bytes = (0..<length).map { pattern[$0 % pattern.count] }
            var incremental = TestBodyChecksum()
            incremental.update(Array(bytes.prefix(5)))
            incremental.update(Array(bytes.dropFirst(5)))
            #expect(incremental.value == TestBodyChecksum.of(bytes))
            #expect(incremental.byteCount == length)
            #expect(TestBodyChecksum.repeating(pattern, length: length) == TestBodyChecksum.of(bytes))
        }
        #expect(TestBodyChecksum.of([1, 2]) != TestBodyChecksum.of([2, 1]))
    }

    @Test func freeTCPPortIsUsable() async throws {
        let port = try freeTCPPort()
        #expect(port > 0)
        #expect(port < 65_536)
    }
}
