// HeadBuffer: the buffer an event loop encodes message heads into, reused from one head to the next.
import NIOCore

/// One per event loop, used only on it, for the heads it writes: responses to clients and the
/// requests it forwards to origins (their pooled connections live on the same loop). Every head
/// (and the small body written with it) was a fresh `ByteBuffer`: an object and a malloc per
/// message, freed a moment later when the socket write completed. A loop encodes one head at a
/// time, so one spare buffer is enough: a head is encoded into it, written, and handed back; by
/// the next head the write has usually completed and the buffer is unique again, and `clear`
/// reuses its storage. A write still pending (a slow peer) keeps its bytes: `clear` on a shared
/// buffer allocates a new one instead.
final class HeadBuffer {
    /// Buffers grown past this (a head that carried an inlined body of several KiB) are not
    /// kept, so the spare stays small whatever a past response needed.
    static let maxKeptCapacity = 8 * 1024

    private let allocator: ByteBufferAllocator
    private var spare: ByteBuffer?

    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
    }

    /// An empty buffer with room for at least `capacity` bytes: the spare when there is one.
    func take(capacity: Int) -> ByteBuffer {
        guard var buffer = spare else {
            return allocator.buffer(capacity: capacity)
        }
        // Dropped first, so that once the socket has let go of it this reference is the only one.
        spare = nil
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Takes `buffer` back once its bytes were handed to the channel.
    func recycle(_ buffer: ByteBuffer) {
        if buffer.capacity <= Self.maxKeptCapacity {
            spare = buffer
        }
    }
}
