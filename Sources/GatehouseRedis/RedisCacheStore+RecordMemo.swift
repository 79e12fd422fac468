// RedisCacheStore+RecordMemo: the records decoded lately, reused while Redis returns the same bytes.
import NIOCore
import Synchronization

extension RedisCacheStore {
    /// A hot key is read from Redis on every hit, and decoding its record (the fields parsed,
    /// the served form re-encoded) was ~10% of a Redis hit's CPU. Redis stays the truth: a
    /// memoised record is used only when the bytes just read are the bytes it was decoded from,
    /// so another instance's write or a purge is seen at once.
    ///
    /// Bounded: at most `capacity` records of at most `maxRecordBytes` each (8 MiB), held as
    /// exact-size copies (a reply's buffer can be a slice of a much larger read buffer).
    final class RecordMemo: Sendable {
        static let capacity = 512
        static let maxRecordBytes = 16 * 1024

        private struct Decoded: Sendable {
            let bytes: ByteBuffer
            let record: Record
        }

        private let decoded = Mutex<[String: Decoded]>([:])

        /// The record `bytes` (the value under `key`) decode to; nil when they are not a record.
        func record(under key: String, decoding bytes: ByteBuffer) -> Record? {
            guard bytes.readableBytes <= Self.maxRecordBytes else { return Record(bytes) }
            if let known = decoded.withLock({ $0[key] }), known.bytes == bytes {
                return known.record
            }
            let copy = ByteBuffer(bytes: bytes.readableBytesView)
            guard let record = Record(copy) else { return nil }
            decoded.withLock { memo in
                if memo.count >= Self.capacity, memo[key] == nil {
                    // Any one goes: a memo miss costs one decode.
                    memo.remove(at: memo.startIndex)
                }
                memo[key] = Decoded(bytes: copy, record: record)
            }
            return record
        }
    }
}
