// SlowReaderTests: a client that never reads a large response costs bounded memory and is cut at
// `upstream.response_timeout` (backpressure pauses the upstream; the paused exchange times out).
import Foundation
import GatehouseTesting
import NIOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SlowReaderTests {
    /// Connects with a plain socket (small receive buffer), sends `request`, and never reads.
    private static func connectAndNeverRead(port: Int, request: String) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        return fd
    }

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
            upstreamConfig: "  response_timeout: 3s",
            extraConfig: "cache:\n  store: off"
        )
        let fd = Self.connectAndNeverRead(port: instance.port, request: "GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        defer { close(fd) }
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
