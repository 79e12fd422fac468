// ChunkedEncoding: HTTP/1.1 chunked transfer coding (RFC 9112 §7.1) of body parts, both directions.
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

    /// The last chunk, with no trailers.
    public static let lastChunk = ByteBuffer(staticString: "0\r\n\r\n")

    private static let crlf = ByteBuffer(staticString: "\r\n")
}
