// UpstreamRequestEncoder: the bytes of a request sent to an origin — head, body parts, end.
import NIOCore
import NIOHTTP1

/// Encodes one request at a time for an upstream connection. The head is written as it is:
/// `RequestHeadRewriter` has already stated its framing, so no field is added or dropped here;
/// the body is chunked exactly when `Transfer-Encoding` is present (the rewriter only ever sets
/// `chunked`), else written as it comes.
public struct UpstreamRequestEncoder: Sendable {
    /// Whether the body of the request being encoded is chunked.
    public private(set) var chunked = false

    public init() {}

    /// Writes the request line and fields, and fixes the framing of the body that follows.
    public mutating func encodeHead(_ head: HTTPRequestHead, into buffer: inout ByteBuffer) {
        chunked = head.headers.contains { FieldName.equals($0.name, "transfer-encoding") }
        buffer.writeHTTPRequestLine(method: head.method, uri: head.uri)
        buffer.writeHTTPFields(head.headers)
        buffer.writeStaticString("\r\n")
    }

    /// Writes the upstream head for a client's request straight from it (`RequestHeadRewriter`'s
    /// rewrite, with no `HTTPRequestHead` built in between), and fixes the framing of the body
    /// that follows: the rewriter states `chunked` exactly for a chunked client body.
    public mutating func encodeHead(
        rewriting head: HTTPRequestHead, framing: RequestBodyFraming, context: ForwardingContext, droppedField: String?,
        into buffer: inout ByteBuffer
    ) {
        chunked = framing == .chunked
        RequestHeadRewriter.writeUpstreamHead(
            for: head, framing: framing, context: context, droppedField: droppedField, into: &buffer
        )
    }

    /// Writes one body part through `write`, framed.
    public func encodeBody(_ part: ByteBuffer, allocator: ByteBufferAllocator, write: (ByteBuffer) -> Void) {
        if chunked {
            ChunkedEncoding.writeChunk(part, allocator: allocator, write: write)
        } else {
            write(part)
        }
    }

    /// The bytes that end the request, if its framing has any.
    public mutating func encodeEnd() -> ByteBuffer? {
        guard chunked else { return nil }
        chunked = false
        return ChunkedEncoding.lastChunk
    }
}
