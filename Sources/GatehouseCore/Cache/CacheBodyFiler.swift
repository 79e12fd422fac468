// CacheBodyFiler: which stored bodies go into memory files, and how many such files may be open at once.
import NIOCore
import Synchronization

/// Moves the bodies of large entries into `CacheBodyFile`s as the memory store takes them in.
/// Only bodies of at least `threshold` bytes: below it one gathered write of head and body
/// costs less than a write and a `sendfile`. Each file is a descriptor, so at most `limit` are
/// open at once (a quarter of the process's descriptor limit by default, leaving the rest to
/// connections); past it, and wherever the kernel refuses memory files, bodies stay in buffers
/// and are served as before.
public final class CacheBodyFiler: Sendable {
    /// The smallest body filed, in bytes.
    public let threshold: Int
    /// The most memory files open at once.
    public let limit: Int
    private let open = Atomic<Int>(0)

    public init(threshold: Int = CacheBodyFiler.defaultThreshold, limit: Int = CacheBodyFiler.defaultLimit()) {
        self.threshold = max(1, threshold)
        self.limit = max(0, limit)
    }

    /// 64 KiB: the smallest body worth the second system call (see the type's summary).
    public static let defaultThreshold = 64 * 1024

    /// A quarter of the soft descriptor limit, at most 4,096 (with Debian's default of 1,024: 256).
    public static func defaultLimit() -> Int {
        min(4_096, (OpenFileLimit.current ?? 0) / 4)
    }

    /// Memory files open now.
    public var openFiles: Int { open.load(ordering: .relaxed) }

    /// `entry` with its body in a memory file when it is large enough and a file is available;
    /// otherwise `entry` unchanged.
    public func filed(_ entry: CacheEntry) -> CacheEntry {
        guard case .bytes(let body) = entry.storedBody, body.readableBytes >= threshold, reserve() else {
            return entry
        }
        guard let file = CacheBodyFile(copying: body, filer: self) else {
            released()
            return entry
        }
        var filed = entry
        filed.storedBody = .file(file)
        return filed
    }

    private func reserve() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// A file closed (called by `CacheBodyFile.deinit`).
    func released() {
        open.subtract(1, ordering: .relaxed)
    }
}
