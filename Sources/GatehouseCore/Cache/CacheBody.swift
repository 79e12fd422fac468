// CacheBody: a stored response's body — bytes in a buffer, or a memory file that hits send with sendfile.
import NIOCore

/// Where a `CacheEntry` keeps its body. Small bodies (and every body outside the memory store)
/// are `bytes`; the memory store moves large ones into `file`s (`CacheBodyFiler`).
public enum CacheBody: Sendable, Equatable {
    case bytes(ByteBuffer)
    case file(CacheBodyFile)

    /// The body's length in bytes, without reading it.
    public var count: Int {
        switch self {
        case .bytes(let buffer): buffer.readableBytes
        case .file(let file): file.count
        }
    }

    /// The body's bytes; a file's are read back (a copy), which serving a hit never needs.
    public var bytes: ByteBuffer {
        switch self {
        case .bytes(let buffer): buffer
        case .file(let file): file.readAll()
        }
    }

    /// What it costs in memory: a buffer its bytes; a file its pages (shared memory, charged to
    /// the process's cgroup but not part of its RSS) and the kernel's inode, dentry and open
    /// file behind the descriptor.
    public var storageBytes: Int {
        switch self {
        case .bytes(let buffer): buffer.readableBytes
        case .file(let file): ((file.count + 4095) & ~4095) + Self.fileOverhead
        }
    }

    /// Kernel memory per memory file: shmem inode (~700 bytes), dentry (192) and `struct file` (256).
    static let fileOverhead = 1_152

    /// Same bytes, wherever they are kept.
    public static func == (lhs: CacheBody, rhs: CacheBody) -> Bool {
        if case .file(let left) = lhs, case .file(let right) = rhs, left === right { return true }
        return lhs.count == rhs.count && lhs.bytes == rhs.bytes
    }
}
