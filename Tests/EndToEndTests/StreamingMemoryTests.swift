// StreamingMemoryTests: a 1 GiB download and a 1 GiB upload pass through a real gatehouse process
// whose peak memory stays bounded (backpressure both ways).
import Foundation
import GatehouseTesting
import NIOCore
import Testing

@Suite(.serialized) struct StreamingMemoryTests {
    static let gibibyte = 1 << 30
    static let pattern: [UInt8] = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// Peak resident set of process `pid` (VmHWM), in bytes.
    static func peakResidentBytes(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }

    @Test func oneGibibyteEachWayInBoundedMemory() async throws {
        let length = Self.gibibyte
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            request.method == "GET" ? .stream(length: length, pattern: StreamingMemoryTests.pattern) : .drainRequestThenRespond()
        })
        let gatehouse = try await GatehouseInstance.start(upstreamPort: upstream.port, serverConfig: "  max_body_bytes: 2GiB")
        let client = try await TestHTTPClient.connect(port: gatehouse.port)
        let download = try await client.sendStreaming("GET", "/download", timeout: .seconds(300))
        #expect(download.status == 200)
        #expect(download.complete)
        #expect(download.bodyByteCount == length)
        #expect(download.bodyChecksum == TestHTTPClient.checksum(pattern: Self.pattern, length: length))

        let upload = try await client.sendStreaming("POST", "/upload", bodyLength: length, timeout: .seconds(300))
        #expect(upload.status == 200)
        #expect(upstream.receivedRequests.last?.bodyByteCount == length)
        try await client.close()

        let peak = try #require(Self.peakResidentBytes(pid: gatehouse.process.pid))
        // 2 GiB went through; the proxy never held more than a few buffers of it.
        #expect(peak < 128 * 1024 * 1024, "gatehouse peaked at \(peak / 1_048_576) MiB")
        #expect(await gatehouse.stop() == 0)
        try await upstream.shutdown()
    }

    @Test func echoRoundTripsAStreamedBody() async throws {
        let length = 8 * 1024 * 1024 + 123
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .echo })
        let gatehouse = try await GatehouseInstance.start(upstreamPort: upstream.port)
        let client = try await TestHTTPClient.connect(port: gatehouse.port)
        let response = try await client.sendStreaming("POST", "/echo", bodyLength: length, bodyChunk: Self.pattern)
        #expect(response.status == 200)
        #expect(response.bodyByteCount == length)
        #expect(response.bodyChecksum == TestHTTPClient.checksum(pattern: Self.pattern, length: length))
        try await client.close()
        #expect(await gatehouse.stop() == 0)
        try await upstream.shutdown()
    }
}
