// AccessLogWriterFailureTests: a destination that fails or stops taking lines loses them counted, cuts no line into the next, holds no shutdown.
import Foundation
import GatehouseCore
@testable import GatehouseServer
import GatehouseTesting
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite struct AccessLogWriterFailureTests {
    private static let entry = AccessLogEntry(
        time: 1_700_000_000, client: "127.0.0.1", method: "GET", path: "/a", status: 200, bytes: 5,
        durationSeconds: 0.001, cache: "miss", requestID: "req-1"
    )

    /// A pipe whose reader stopped reading (a stalled log driver, `gatehouse run | consumer`):
    /// `close` stops waiting at its timeout, counting the lines it could not write, where it
    /// used to wait for the blocked write forever and keep a drained process from exiting.
    @Test func closeGivesUpOnAPipeNobodyReads() async throws {
        let fifo = try StalledFIFO()
        defer { fifo.remove() }
        let dropped = NIOLockedValueBox(0)
        let writer = try AccessLogWriter(destination: .file(path: fifo.path)) { count in dropped.withLockedValue { $0 += count } }
        // Four times what a pipe holds (64 KiB): the writer's write(2) blocks.
        let lines = 4 * 65_536 / Self.entry.jsonLine.utf8.count + 1
        for _ in 0..<lines {
            writer.log(Self.entry)
        }

        // False: it gave up at its timeout (nil: still waiting after 30 s, which a loaded
        // machine's scheduling cannot explain).
        let closed = await TimedResult.of(within: .seconds(30)) { await writer.close(within: .milliseconds(300)) }
        #expect(closed == false)
        // At least what the pipe could not hold; at most all, as the blocked write(2) has not
        // said how much of its batch went in.
        let lost = dropped.withLockedValue { $0 }
        #expect(lost > 0 && lost <= lines)

        // Reading lets the blocked write return: it stops there, and the writer closes the FIFO.
        let readLines = try #require(await fifo.readToEnd())
        #expect(readLines + lost >= lines)
        // Those lines were counted when `close` gave up, not again when the write returned.
        #expect(dropped.withLockedValue { $0 } == lost)
    }

    /// The same through a drain: a proxy whose access log is a pipe nobody reads finishes its
    /// drain by `drain_timeout` (1 s for the log at least), its last lines counted as dropped.
    @Test func aDrainEndsWhileTheAccessLogPipeIsBlocked() async throws {
        let fifo = try StalledFIFO()
        defer { fifo.remove() }
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.accessLog = .file(path: fifo.path)
        }
        // Long paths make long lines: some 400 KiB of them, more than the pipe holds.
        let path = "/" + String(repeating: "p", count: 2_000)
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for _ in 0..<200 {
            #expect(try await client.send("GET", path).status == 200)
        }
        try await client.close()

        let drained = await TimedResult.of(within: .seconds(30)) { await proxy.server.drain(timeout: .seconds(2)) }
        #expect(drained == true)  // nil: still draining after 30 s
        let metrics = PrometheusText(proxy.server.metrics.render())
        #expect((metrics.value("gatehouse_access_log_dropped_total") ?? 0) > 0)
        #expect(await fifo.readToEnd() != nil)
        try await upstream.shutdown()
    }

    /// A full disk (or an I/O error) loses lines: each one is counted in
    /// `gatehouse_access_log_dropped_total`, where they used to vanish uncounted.
    @Test func linesAFailingDestinationLosesAreCounted() async throws {
        let dropped = NIOLockedValueBox(0)
        let writer = try AccessLogWriter(destination: .file(path: "/dev/full")) { count in dropped.withLockedValue { $0 += count } }
        for _ in 0..<10 {
            writer.log(Self.entry)
        }
        #expect(await writer.close(within: .seconds(10)))
        #expect(dropped.withLockedValue { $0 } == 10)
    }

    /// A write that stops inside a line (a short write, then an error) leaves the destination
    /// mid-line: the next batch starts with a newline, so its lines stay whole JSON lines
    /// instead of the first being glued to the fragment.
    @Test func aLineCutByAFailedWriteIsEndedBeforeTheNextBatch() async throws {
        // A short write of 30 bytes, then EIO: the first batch is cut.
        let destination = ScriptedDestination([30, nil])
        let writer = try destination.writer()
        writer.log(Self.entry)
        // The first batch (the line above) was cut and counted: the next lines are a new batch.
        try #require(await TimedResult.of(within: .seconds(10)) { await destination.waitForDrops(1) } != nil)
        writer.log(Self.entry)
        writer.log(Self.entry)
        #expect(await writer.close(within: .seconds(10)))
        try Self.expectFragmentThenWholeLines(destination.bytes, whole: 2)
    }

    /// The newline that ends a cut line is written once: a batch that fails after it does not
    /// bring another (an empty line) in front of the next.
    @Test func aCutLineIsEndedOnceWhenTheBatchAfterItFails() async throws {
        // Cut as above; then the newline goes in, and the batch after it fails.
        let destination = ScriptedDestination([30, nil, 1, nil])
        let writer = try destination.writer()
        for batch in 1...2 {
            writer.log(Self.entry)
            try #require(await TimedResult.of(within: .seconds(10)) { await destination.waitForDrops(batch) } != nil)
        }
        writer.log(Self.entry)
        #expect(await writer.close(within: .seconds(10)))
        try Self.expectFragmentThenWholeLines(destination.bytes, whole: 1)
    }

    /// `bytes` is a 30-byte fragment, then `whole` JSON lines, each newline-terminated.
    private static func expectFragmentThenWholeLines(_ bytes: [UInt8], whole: Int) throws {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // The fragment, the whole lines, the empty rest after the last newline.
        try #require(lines.count == whole + 2)
        #expect(lines.first?.count == 30)
        for line in lines.dropFirst().prefix(whole) {
            #expect((try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any])
        }
        #expect(lines.last?.isEmpty == true)
    }
}
