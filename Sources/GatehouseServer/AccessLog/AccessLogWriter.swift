// AccessLogWriter: writes access-log lines off the event loops, bounded, never failing a request.
import Dispatch
import GatehouseCore
import Logging
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// Collects JSON lines from every event loop and writes them in batches on one background
/// queue, so a slow or broken destination (a full disk, a blocked pipe) never blocks a request.
/// At most `maxPendingBytes` wait; past that lines are dropped and counted.
///
/// A file is closed by `close()` (at shutdown) or, failing that, when the last reference goes:
/// a reload leaves the old writer to the requests still running on the old runtime, and the
/// last of them releases it. A scheduled write holds the writer, so none is pending by then.
public final class AccessLogWriter: Sendable {
    private struct Pending {
        var buffer: [UInt8] = []
        var flushScheduled = false
        /// Set by `close()`: the descriptor is gone (its number may already be another file's),
        /// so lines logged afterwards are dropped.
        var closed = false
    }

    private let destination: AccessLogDestination
    private let fileDescriptor: Int32
    private let ownsDescriptor: Bool
    private let pending = NIOLockedValueBox(Pending())
    private let queue = DispatchQueue(label: "gatehouse.access-log")
    private let maxPendingBytes: Int
    private let onDrop: @Sendable () -> Void

    /// Opens the destination; a file that cannot be opened is an error the caller reports.
    public init(destination: AccessLogDestination, maxPendingBytes: Int = 8 << 20, onDrop: @escaping @Sendable () -> Void = {}) throws {
        self.destination = destination
        self.maxPendingBytes = maxPendingBytes
        self.onDrop = onDrop
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
            guard pending.buffer.count + line.utf8.count <= maxPendingBytes else { return nil }
            pending.buffer.append(contentsOf: line.utf8)
            if pending.flushScheduled { return false }
            pending.flushScheduled = true
            return true
        }
        switch scheduleFlush {
        case .none:
            onDrop()
        case .some(true):
            queue.async { self.flush() }
        case .some(false):
            break
        }
    }

    private func flush() {
        let bytes = pending.withLockedValue { pending -> [UInt8] in
            pending.flushScheduled = false
            defer { pending.buffer.removeAll(keepingCapacity: true) }
            return pending.closed ? [] : pending.buffer
        }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let written = write(fileDescriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a broken destination loses lines, never requests
                }
                offset += written
            }
        }
    }

    /// Writes what is pending and closes a file destination (at shutdown). Blocks until the
    /// pending lines are written: call it off the event loops.
    public func close() {
        queue.sync {
            self.flush()
            let wasClosed = pending.withLockedValue { pending in
                defer { pending.closed = true }
                return pending.closed
            }
            if ownsDescriptor && !wasClosed {
                _ = Glibc.close(fileDescriptor)
            }
        }
    }

    deinit {
        // Not closed at shutdown: released by the last runtime that used it (a reload changed
        // or reopened the destination). Nothing is pending, since a scheduled write holds self.
        if ownsDescriptor && !pending.withLockedValue({ $0.closed }) {
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
