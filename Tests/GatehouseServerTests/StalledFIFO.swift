// StalledFIFO: a named pipe whose reader is open but reads nothing, like a log consumer that stopped.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A FIFO with its read end open (so writers can open it) and unread until `readToEnd`: once
/// the pipe's 64 KiB are full, a blocking write(2) to it waits.
struct StalledFIFO {
    let path: String
    private let reader: Int32

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("stalled-\(UUID().uuidString).fifo").path
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        // Non-blocking, so opening does not wait for a writer.
        reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard reader >= 0 else {
            unlink(path)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
    }

    /// Reads until every writer has closed the FIFO; the number of lines read, or nil when that
    /// takes longer than `timeout` (a writer never closed). The blocking reads run on a
    /// Dispatch thread, not on the cooperative pool the tests share.
    func readToEnd(within timeout: Duration = .seconds(10)) async -> Int? {
        let reader = self.reader
        _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) & ~O_NONBLOCK)
        return await TimedResult.of(within: timeout) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
                DispatchQueue.global().async {
                    continuation.resume(returning: Self.readLines(reader))
                }
            }
        } ?? nil
    }

    /// Blocking: reads `reader` to its end, counting newlines; nil on a read error.
    private static func readLines(_ reader: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var lines = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if count == 0 { return lines }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            lines += buffer.prefix(count).count { $0 == UInt8(ascii: "\n") }
        }
    }

    /// Closes the read end and removes the FIFO.
    func remove() {
        _ = Glibc.close(reader)
        unlink(path)
    }
}
