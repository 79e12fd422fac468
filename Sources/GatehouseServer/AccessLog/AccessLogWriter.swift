// AccessLogWriter: writes access-log lines off the event loops, bounded, never failing a request.
import Dispatch
import GatehouseCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Collects JSON lines from every event loop and writes them in batches on one background
/// queue, so a slow or broken destination (a full disk, a blocked pipe) never blocks a request.
/// At most `maxPendingBytes` wait; past that lines are dropped and counted, as are the lines a
/// failing write loses and those `close` gives up on.
///
/// A file is closed by `close()` (at shutdown) or, failing that, when the last reference goes:
/// a reload leaves the old writer to the requests still running on the old runtime, and the
/// last of them releases it. A scheduled write holds the writer, so none is pending by then.
public final class AccessLogWriter: Sendable {
    private struct Pending {
        var buffer: [UInt8] = []
        /// Lines in `buffer` (one per entry), kept so that counting drops scans nothing.
        var lines = 0
        var flushScheduled = false
        /// Set by `close()` when it takes the last batch, or when it gives up waiting: lines
        /// logged afterwards are dropped (and counted).
        var closed = false
        /// The descriptor is gone (its number may already be another file's).
        var descriptorClosed = false
        /// The last write stopped inside a line (a short write, then an error): the next batch
        /// starts with a newline, so the cut line ends there and the next one is whole JSON.
        var midLine = false
        /// Lines of the batch being written that are not in the destination yet: what `close`
        /// counts as dropped if it gives up while that write is blocked.
        var unwrittenInFlight = 0
        /// `close` gave up waiting: the blocked write stops when it returns, its rest counted.
        var abandoned = false
    }

    private static let newline = UInt8(ascii: "\n")

    private let destination: AccessLogDestination
    private let fileDescriptor: Int32
    private let ownsDescriptor: Bool
    private let pending = NIOLockedValueBox(Pending())
    private let queue = DispatchQueue(label: "gatehouse.access-log")
    private let maxPendingBytes: Int
    /// Called with a number of lines that will never be written.
    private let onDrop: @Sendable (Int) -> Void
    private let writeCall: WriteCall

    /// `write(2)`'s shape: tests put a destination that fails part way in its place.
    typealias WriteCall = @Sendable (Int32, UnsafeRawPointer, Int) -> Int

    /// Opens the destination; a file that cannot be opened is an error the caller reports.
    public convenience init(
        destination: AccessLogDestination, maxPendingBytes: Int = 8 << 20, onDrop: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws {
        try self.init(destination: destination, maxPendingBytes: maxPendingBytes, onDrop: onDrop) { Glibc.write($0, $1, $2) }
    }

    init(
        destination: AccessLogDestination, maxPendingBytes: Int, onDrop: @escaping @Sendable (Int) -> Void,
        write: @escaping WriteCall
    ) throws {
        self.destination = destination
        self.maxPendingBytes = maxPendingBytes
        self.onDrop = onDrop
        self.writeCall = write
        switch destination {
        case .off:
            fileDescriptor = -1
            ownsDescriptor = false
        case .stdout:
            fileDescriptor = STDOUT_FILENO
            ownsDescriptor = false
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw AccessLogError(path: path, errno: errno)
            }
            fileDescriptor = fd
            ownsDescriptor = true
        }
    }

    public var isEnabled: Bool { fileDescriptor >= 0 }

    /// Queues one entry; returns immediately.
    public func log(_ entry: AccessLogEntry) {
        guard isEnabled else { return }
        let line = entry.jsonLine
        let scheduleFlush = pending.withLockedValue { pending -> Bool? in
            guard !pending.closed, pending.buffer.count + line.utf8.count <= maxPendingBytes else { return nil }
            pending.buffer.append(contentsOf: line.utf8)
            pending.lines += 1
            if pending.flushScheduled { return false }
            pending.flushScheduled = true
            return true
        }
        switch scheduleFlush {
        case .none:
            onDrop(1)
        case .some(true):
            queue.async { self.flush() }
        case .some(false):
            break
        }
    }

    /// Writes what is pending; `last` (from `close`) takes the last batch and refuses lines from
    /// then on, in one step, so no line slips in between.
    private func flush(last: Bool = false) {
        let (batch, droppedAfterClose, midLine) = pending.withLockedValue { pending -> ([UInt8], Int, Bool) in
            pending.flushScheduled = false
            let lines = pending.lines
            defer {
                pending.buffer.removeAll(keepingCapacity: true)
                pending.lines = 0
            }
            if pending.closed {
                return ([], lines, false)
            }
            pending.closed = last
            pending.unwrittenInFlight = lines
            return (pending.buffer, 0, pending.midLine)
        }
        if droppedAfterClose > 0 {
            onDrop(droppedAfterClose)
        }
        guard !batch.isEmpty else { return }
        // Ends the line a failed write cut, alone: a batch that cannot follow it is not written.
        let endedCutLine = midLine && [Self.newline].withUnsafeBytes({ write($0) }) == 1
        let written = !midLine || endedCutLine ? batch.withUnsafeBytes { write($0) } : 0
        let unwritten = Self.lineCount(batch[written...])
        let dropped = pending.withLockedValue { pending -> Int in
            // Given up on by `close`, which counted what was left then.
            guard !pending.abandoned else { return 0 }
            pending.unwrittenInFlight = 0
            if written > 0 {
                pending.midLine = batch[written - 1] != Self.newline
            } else if endedCutLine {
                pending.midLine = false
            }
            return unwritten
        }
        // A broken destination (a full disk, an I/O error) loses lines, never requests: counted.
        if dropped > 0 {
            onDrop(dropped)
        }
    }

    /// Writes `bytes` to the destination until all are written, a write fails, or `close` gives
    /// up on it; returns how many were written.
    private func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = writeCall(fileDescriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += written
            guard offset < bytes.count else { break }
            let unwritten = Self.lineCount(bytes[offset...])
            let abandoned = pending.withLockedValue { pending -> Bool in
                if !pending.abandoned {
                    pending.unwrittenInFlight = unwritten
                }
                return pending.abandoned
            }
            if abandoned { break }
        }
        return offset
    }

    /// Writes what is pending and closes a file destination (at shutdown), waiting at most
    /// `timeout`: a write blocked on a pipe nobody reads (a stalled log driver, a consumer that
    /// stopped) must not keep the process from exiting. On time out the lines not written are
    /// counted as dropped and false is returned: all of the blocked write's batch, since a
    /// write(2) that has not returned has not said how much went in (some of it may yet reach
    /// the destination if it wakes before the exit). The blocked write keeps its thread (and a
    /// file its descriptor) until it returns. Waits without blocking a thread.
    @discardableResult
    public func close(within timeout: Duration) async -> Bool {
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let waiting = NIOLockedValueBox<CheckedContinuation<Bool, Never>?>(continuation)
            let resume: @Sendable (Bool) -> Void = { finished in
                waiting.withLockedValue { waiting in
                    defer { waiting = nil }
                    return waiting
                }?.resume(returning: finished)
            }
            queue.async {
                self.flush(last: true)
                self.closeDescriptor()
                resume(true)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: TimeAmount(timeout).nanoseconds))) {
                resume(false)
            }
        }
        if !finished {
            giveUp()
        }
        return finished
    }

    /// `close` stopped waiting: what is pending and what the blocked write has left are dropped.
    private func giveUp() {
        let dropped = pending.withLockedValue { pending -> Int in
            let dropped = pending.lines + pending.unwrittenInFlight
            pending.buffer.removeAll()
            pending.lines = 0
            pending.unwrittenInFlight = 0
            pending.closed = true
            pending.abandoned = true
            return dropped
        }
        if dropped > 0 {
            onDrop(dropped)
        }
    }

    /// Closes a file destination once; on the queue, after the last write.
    private func closeDescriptor() {
        let wasClosed = pending.withLockedValue { pending in
            defer { pending.descriptorClosed = true }
            return pending.descriptorClosed
        }
        if ownsDescriptor && !wasClosed {
            _ = Glibc.close(fileDescriptor)
        }
    }

    private static func lineCount(_ bytes: some Collection<UInt8>) -> Int {
        bytes.reduce(0) { $1 == newline ? $0 + 1 : $0 }
    }

    deinit {
        // Not closed at shutdown: released by the last runtime that used it (a reload changed
        // or reopened the destination). Nothing is pending, since a scheduled write holds self.
        if ownsDescriptor && !pending.withLockedValue({ $0.descriptorClosed }) {
            _ = Glibc.close(fileDescriptor)
        }
    }
}

/// The access log file could not be opened.
public struct AccessLogError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32

    public var description: String {
        "cannot open access log \(path): \(String(cString: strerror(errno)))"
    }
}
