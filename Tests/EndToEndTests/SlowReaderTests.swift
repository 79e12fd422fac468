// SlowReaderTests: a client that never reads a large response costs bounded memory and is cut at
// `server.idle_timeout` (backpressure pauses the upstream; the client takes nothing of what waits).
import Foundation
import GatehouseTesting
import NIOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SlowReaderTests {
    private static func openConnections(adminPort: Int) async throws -> Double? {
        let text = try await TestHTTPClient.request(port: adminPort, "GET", "/metrics").bodyString
        for line in text.split(separator: "\n") where line.hasPrefix("gatehouse_connections_active ") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    @Test func aClientThatNeverReadsIsCutAndCostsBoundedMemory() async throws {
        let pattern: [UInt8] = Array(repeating: 0x5A, count: 65_536)
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .stream(length: 512 << 20, pattern: pattern) })
        let instance = try await GatehouseInstance.start(
            upstreamPort: upstream.port,
            // 3s, not 1s: the connection must still be open when the metric is read below, and
            // on a loaded machine that read has come after a 1s timeout had already cut it.
            serverConfig: "  idle_timeout: 3s",
            extraConfig: "cache:\n  store: off"
        )
        // Sends its request and never reads.
        let client = SmallWindowSocket(port: instance.port)
        defer { client.close() }
        client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        #expect(try await Self.openConnections(adminPort: instance.adminPort) == 1)
        // Cut within a few response timeouts (bounded wait: the metric is read once every 100 ms).
        var open: Double? = 1
        for _ in 0..<200 where open != 0 {
            try await Task.sleep(for: .milliseconds(100))
            open = try await Self.openConnections(adminPort: instance.adminPort)
        }
        #expect(open == 0)
        let status = try String(contentsOfFile: "/proc/\(instance.process.pid)/status", encoding: .utf8)
        let peakKiB = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?
            .split(separator: " ").compactMap { Int($0) }.first ?? 0
        // Of a 512 MiB response, the proxy held no more than socket buffers and a few reads.
        #expect(peakKiB > 0 && peakKiB < 96 * 1024, "peak \(peakKiB) KiB")
        #expect(await instance.stop() == 0)
        try await upstream.shutdown()
    }
}
