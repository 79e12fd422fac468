// SlowUploadTests: an upload paced by the client or by the origin outlasts response_timeout and still
// passes; the response timeout starts once the request is written, and a stalled origin is the origin's fault.
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

@Suite struct SlowUploadTests {
    /// 30 parts of 4 KiB, 100 ms apart: about 3 s at ~40 KB/s, well above the minimum rate
    /// (500 B/s) and three times the 1 s response timeout, which used to run from the request
    /// head and cut it with 504. The pauses pace the client; they synchronise nothing.
    @Test(arguments: [false, true])
    func anUploadThatOutlastsTheResponseTimeoutSucceeds(chunked: Bool) async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .drainRequestThenRespond() }) { config in
            config.upstream.responseTimeout = .seconds(1)
        }
        let parts = 30
        let part = [UInt8](repeating: UInt8(ascii: "u"), count: 4_096)
        let length = parts * part.count
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(length)"
        try await connection.write("POST /upload HTTP/1.1\r\nHost: t\r\n\(framing)\r\n\r\n")
        for _ in 0..<parts {
            try await connection.write(bytes: chunked ? Array("1000\r\n".utf8) + part + Array("\r\n".utf8) : part)
            try await Task.sleep(for: .milliseconds(100))
        }
        if chunked {
            try await connection.write("0\r\n\r\n")
        }
        let response = try #require(try await connection.readResponse(timeout: .seconds(10)))
        #expect(response.status == 200)
        #expect(response.jsonObject()?["received"] as? Int == length)
        #expect(upstream.receivedRequests.first?.bodyByteCount == length)
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// Uploads `length` bytes, as fast as the proxy takes them, through a proxy in front of an
    /// origin that behaves as `origin`: the status answered, and the body bytes the origin got.
    private static func upload(
        _ length: Int, to origin: TestUpstreamBehaviour, configure: (inout GatehouseConfig) -> Void
    ) async throws -> (status: Int, originReceived: Int?) {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in origin }, configure: configure)
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let response = try await client.sendStreaming("POST", "/upload", bodyLength: length, timeout: .seconds(60))
        try await client.close()
        try await proxy.stop()
        let received = upstream.receivedRequests.first?.bodyByteCount
        try await upstream.shutdown()
        return (response.status, received)
    }

    /// An origin that takes an upload slowly for its first 4 s (32 KiB every 10 ms), then at full
    /// speed: the old response timeout cut it with 504 after 3 s. Now nothing does: the client's
    /// side is far within its bounds, and the origin keeps taking the body, so the send bound
    /// does not end it either: the socket reports room again each time the origin has taken
    /// about a third of the kernel's send buffer (~4 MB on loopback), every half second or so at
    /// this pace. The slow phase ends while the client still has megabytes to send beyond what
    /// the slow origin took and those buffers hold, so the origin, fast by then, answers soon
    /// after the body's end, where the response timeout starts.
    @Test func anOriginSlowToTakeAnUploadIsNotCutWhileItTakesSome() async throws {
        let length = 24 << 20
        let result = try await Self.upload(
            length, to: .readSlowly(every: .milliseconds(10), for: .seconds(4), then: .drainRequestThenRespond())
        ) { config in
            config.upstream.responseTimeout = .seconds(3)
            config.server.maxBodyBytes = 32 << 20
        }
        #expect(result.status == 200)
        #expect(result.originReceived == length)
    }

    /// An origin that waits 6 s before it takes any of an upload, while the client could send it
    /// at once: Gatehouse's reads of the client pause while the origin's socket is full, and
    /// that time is not the client's. Counted, it would cut the body with 408 after 3 s plus
    /// 0.125 s earned (a minimum rate of 64 MiB/s); only the time spent reading counts, a
    /// fraction of a second for 8 MiB. The 30 s response timeout, as a send bound, lets the
    /// origin wait.
    @Test func anOriginThatWaitsBeforeTakingAnUploadIsNotBlamedOnTheClient() async throws {
        let length = 8 << 20
        let result = try await Self.upload(length, to: .delay(.seconds(6), then: .drainRequestThenRespond())) { config in
            config.server.readHeaderTimeout = .seconds(3)
            config.server.minBodyRate = 64 << 20
        }
        #expect(result.status == 200)
        #expect(result.originReceived == length)
    }

    /// An origin that takes none of an upload (it waits 30 s before reading): the upload is
    /// bounded on the origin's side, by the response timeout as a send timeout, and the answer
    /// is its 504; the client, whose reads were paused all along, is not blamed. (The old
    /// response timeout gave 504 here too; this guards the send bound, without which the
    /// exchange would wait the origin out and get its 200 after 30 s.)
    @Test func anOriginThatTakesNoneOfAnUploadGets504() async throws {
        let result = try await Self.upload(8 << 20, to: .delay(.seconds(30), then: .drainRequestThenRespond())) { config in
            config.upstream.responseTimeout = .seconds(1)
        }
        #expect(result.status == 504)
    }
}
