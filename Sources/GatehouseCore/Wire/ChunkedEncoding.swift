// ChunkedEncoding: HTTP/1.1 chunked transfer coding (RFC 9112 §7.1): chunks written, and chunk sizes read.
import NIOCore

/// Frames body parts as chunks: for responses to clients when no length is known, and for request
/// bodies sent upstream chunked.
public enum ChunkedEncoding {
    /// Writes `part` as one chunk through `write` (size line, the part uncopied, CRLF); nothing
    /// for an empty part, which would end the body.
    public static func writeChunk(_ part: ByteBuffer, allocator: ByteBufferAllocator, write: (ByteBuffer) -> Void) {
        guard part.readableBytes > 0 else { return }
        var size = allocator.buffer(capacity: 18)
        size.writeHexadecimal(part.readableBytes)
        size.writeStaticString("\r\n")
        write(size)
        write(part)
        write(crlf)
    }

    /// The size in a chunk-size line (RFC 9112 §7.1): hex digits, then optional extensions,
    /// which are checked for control characters and not used.
    static func size(ofLine line: ByteBuffer) throws -> Int {
        try line.withUnsafeReadableBytes { bytes in
            var size = 0
            var index = 0
            while index < bytes.count, let digit = HexDigits.value(of: bytes[index]).map(Int.init) {
                // 15 significant digits fit an Int with room; a larger chunk is nonsense, not a
                // big body. A size of 15 digits already is at least 16^14 = 2^56. Leading zeros
                // are padding (nginx reads them so): they leave the size at 0.
                guard size < 1 << 56 else { throw HTTPSyntaxError("chunk size too large") }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else { throw HTTPSyntaxError("chunk size line without a size") }
            while index < bytes.count, HTTPByteClass.isWhitespace(bytes[index]) {
                index += 1
            }
            guard index == bytes.count || bytes[index] == UInt8(ascii: ";") else {
                throw HTTPSyntaxError("invalid chunk size line")
            }
            guard !bytes[index...].contains(where: HTTPByteClass.isControl) else {
                throw HTTPSyntaxError("control character in a chunk extension")
            }
            return size
        }
    }

    /// The last chunk, with no trailers.
    public static let lastChunk = ByteBuffer(staticString: "0\r\n\r\n")

    private static let crlf = ByteBuffer(staticString: "\r\n")
}
