// CacheBodyFile: a stored body in a sealed memory file, which a hit sends with sendfile instead of copying.
import CMemoryFile
import Glibc
import NIOCore

/// A large body held by the memory store in an anonymous memory file (`memfd_create`), sealed
/// against every later change once written. Serving it with `sendfile` lends the file's pages to
/// the socket instead of copying the bytes into it (the copy was a quarter of a 100 KiB hit's CPU
/// on this machine); the seal is what makes lending safe, since pages still queued in the network
/// stack after a write returns must never change. The descriptor closes when the last holder —
/// the store's entry or a write still in progress — lets go.
public final class CacheBodyFile: Sendable {
    /// The open memory file; valid for this object's lifetime.
    public let descriptor: CInt
    /// Bytes in the file, all of them the body.
    public let count: Int
    private let filer: CacheBodyFiler

    /// The bytes of `body` in a new sealed memory file; nil when the kernel refuses one.
    init?(copying body: ByteBuffer, filer: CacheBodyFiler) {
        let descriptor = gatehouse_memfd_create("gatehouse-cache-body")
        guard descriptor >= 0 else { return nil }
        let written = body.withUnsafeReadableBytes { bytes in
            Self.writeAll(bytes, to: descriptor)
        }
        guard written, gatehouse_memfd_seal(descriptor) == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        self.count = body.readableBytes
        self.filer = filer
    }

    deinit {
        close(descriptor)
        filer.released()
    }

    /// The body's bytes, read back into a buffer (revalidation keeps the file; tests and
    /// serialization read it). Fewer bytes than `count` only if the kernel fails a read of memory.
    public func readAll() -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { target in
            guard let base = target.baseAddress else { return 0 }
            return Self.transfer(count) { done in pread(descriptor, base + done, count - done, off_t(done)) }
        }
        return buffer
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: CInt) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return transfer(bytes.count) { done in pwrite(descriptor, base + done, bytes.count - done, off_t(done)) } == bytes.count
    }

    /// Repeats `call` (given the bytes done so far; a `pread`/`pwrite` result) until `count` bytes
    /// are done, retrying interrupted calls; the bytes done when it stops.
    private static func transfer(_ count: Int, _ call: (Int) -> Int) -> Int {
        var done = 0
        while done < count {
            let result = call(done)
            if result > 0 {
                done += result
            } else if result < 0, errno == EINTR {
                continue
            } else {
                break
            }
        }
        return done
    }
}
