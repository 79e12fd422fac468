// HiredisReader: owns one hiredis `redisReader` and turns fed bytes into RedisValues.
import CHiredis
import NIOCore

/// A RESP parser: feed it bytes as they arrive, then take complete replies out.
///
/// Owns its `redisReader` and frees it exactly once, in `deinit`. Not thread-safe: a connection
/// uses it from its event loop only. After a protocol error the reader is poisoned (hiredis keeps
/// failing) and the connection must be dropped.
final class HiredisReader {
    private let reader: UnsafeMutablePointer<redisReader>
    private let allocator: ByteBufferAllocator

    /// Fails only if hiredis cannot allocate its reader.
    init(allocator: ByteBufferAllocator) throws(RedisError) {
        guard let reader = redisReaderCreate() else {
            throw RedisError.protocolError("hiredis could not allocate a reader")
        }
        self.reader = reader
        self.allocator = allocator
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Appends received bytes to the reader's buffer (hiredis copies them).
    func feed(_ buffer: ByteBuffer) throws(RedisError) {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard status == REDIS_OK else { throw RedisError.protocolError(errorText) }
    }

    /// The next complete reply, or nil until more bytes arrive.
    func next() throws(RedisError) -> RedisValue? {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &reply) == REDIS_OK else {
            throw RedisError.protocolError(errorText)
        }
        guard let reply else { return nil }
        defer { freeReplyObject(reply) }
        return try RedisValue(reply: UnsafePointer(reply.assumingMemoryBound(to: redisReply.self)), allocator: allocator)
    }

    /// hiredis' description of the last error (`errstr` is a fixed, NUL-terminated C array).
    private var errorText: String {
        withUnsafeBytes(of: reader.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "hiredis reader error" : String(decoding: bytes, as: UTF8.self)
        }
    }
}
