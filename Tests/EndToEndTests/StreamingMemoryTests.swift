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

    private func startGatehouse(upstreamPort: Int) async throws -> (ChildProcess, Int, URL) {
        let proxyPort = try freeTCPPort()
        let adminPort = try freeTCPPort()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString).conf")
        try """
        server:
          listen: "127.0.0.1:\(proxyPort)"
          admin_listen: "127.0.0.1:\(adminPort)"
          access_log: off
          max_body_bytes: 2GiB
        upstream:
          servers: ["http://127.0.0.1:\(upstreamPort)"]
        """.write(to: file, atomically: true, encoding: .utf8)
        let gatehouse = ChildProcess(BuiltProducts.gatehouse, ["run", "--config", file.path])
        try gatehouse.start()
        #expect(await gatehouse.waitForOutput(containing: "listener=admin"))
        return (gatehouse, proxyPort, file)
    }

    @Test func oneGibibyteEachWayInBoundedMemory() async throws {
        let length = Self.gibibyte
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            request.method == "GET" ? .stream(length: length, pattern: StreamingMemoryTests.pattern) : .drainRequestThenRespond()
        })
        let (gatehouse, port, file) = try await startGatehouse(upstreamPort: upstream.port)
        defer { try? FileManager.default.removeItem(at: file) }

        let client = try await TestHTTPClient.connect(port: port)
        let download = try await client.sendStreaming("GET", "/download", timeout: .seconds(300))
        #expect(download.status == 200)
        #expect(download.complete)
        #expect(download.bodyByteCount == length)
        #expect(download.bodyChecksum == TestHTTPClient.checksum(pattern: Self.pattern, length: length))

        let upload = try await client.sendStreaming("POST", "/upload", bodyLength: length, timeout: .seconds(300))
        #expect(upload.status == 200)
        #expect(upstream.receivedRequests.last?.bodyByteCount == length)
        try await client.close()

        let peak = try #require(Self.peakResidentBytes(pid: gatehouse.pid))
        // 2 GiB went through; the proxy never held more than a few buffers of it.
        #expect(peak < 128 * 1024 * 1024, "gatehouse peaked at \(peak / 1_048_576) MiB")
        gatehouse.signal(SIGTERM)
        #expect(await gatehouse.waitForExit(timeout: .seconds(30)) == 0)
        try await upstream.shutdown()
    }

    @Test func echoRoundTripsAStreamedBody() async throws {
        let length = 8 * 1024 * 1024 + 123
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .echo })
        let (gatehouse, port, file) = try await startGatehouse(upstreamPort: upstream.port)
        defer { try? FileManager.default.removeItem(at: file) }
        let client = try await TestHTTPClient.connect(port: port)
        let response = try await client.sendStreaming("POST", "/echo", bodyLength: length, bodyChunk: Self.pattern)
        #expect(response.status == 200)
        #expect(response.bodyByteCount == length)
        #expect(response.bodyChecksum == TestHTTPClient.checksum(pattern: Self.pattern, length: length))
        try await client.close()
        gatehouse.signal(SIGTERM)
        #expect(await gatehouse.waitForExit(timeout: .seconds(30)) == 0)
        try await upstream.shutdown()
    }
}
