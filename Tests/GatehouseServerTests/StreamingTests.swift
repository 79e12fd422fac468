// StreamingTests: large bodies pass both ways through the proxy in bounded memory.
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct StreamingTests {
    static let pattern: [UInt8] = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// This process's resident set size, from /proc (Linux).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return 0
    }

    @Test func largeDownloadStreamsInBoundedMemory() async throws {
        let length = 256 * 1024 * 1024
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .stream(length: length, pattern: StreamingTests.pattern)
        })
        let before = Self.residentBytes()
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let response = try await client.sendStreaming("GET", "/big")
        #expect(response.status == 200)
        #expect(response.complete)
        #expect(response.bodyByteCount == length)
        #expect(response.bodyChecksum == TestHTTPClient.checksum(pattern: Self.pattern, length: length))
        let grown = Self.residentBytes() - before
        #expect(grown < 96 * 1024 * 1024, "RSS grew by \(grown) bytes for a \(length)-byte body")
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func largeUploadStreamsInBoundedMemory() async throws {
        let length = 256 * 1024 * 1024
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .drainRequestThenRespond() }) { config in
            config.server.maxBodyBytes = 1 << 30
        }
        let before = Self.residentBytes()
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let response = try await client.sendStreaming("POST", "/upload", bodyLength: length)
        #expect(response.status == 200)
        let received = try #require(upstream.receivedRequests.first)
        #expect(received.bodyByteCount == length)
        let grown = Self.residentBytes() - before
        #expect(grown < 96 * 1024 * 1024, "RSS grew by \(grown) bytes for a \(length)-byte body")
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func echoRoundTripsAStreamedBody() async throws {
        let length = 8 * 1024 * 1024 + 123
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .echo })
        let client = try await TestHTTPClient.connect(port: proxy.port)
        let response = try await client.sendStreaming("POST", "/echo", bodyLength: length, bodyChunk: Self.pattern)
        #expect(response.status == 200)
        #expect(response.bodyByteCount == length)
        #expect(response.bodyChecksum == TestHTTPClient.checksum(pattern: Self.pattern, length: length))
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
