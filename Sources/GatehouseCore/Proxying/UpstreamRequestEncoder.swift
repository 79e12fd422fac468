// UpstreamRequestEncoder: the bytes of a request sent to an origin — head, body parts, end.
import NIOCore
import NIOHTTP1

/// Encodes one request at a time for an upstream connection. The head is written as it is:
/// `RequestHeadRewriter` has already stated its framing, so no field is added or dropped here;
/// the body is chunked exactly when `Transfer-Encoding` is present (the rewriter only ever sets
/// `chunked`), else written as it comes, and then it must be exactly the `Content-Length` the
/// head declared (none: no body). A head re-sent or made up for a request (a retry, a
/// revalidation, a background refresh) that promised a body nobody then sent made the origin
/// read the next request on the pooled connection as that body; the encoder now refuses the
/// mismatch (`RequestFramingMismatch`) instead of writing it, whichever path made the head.
public struct UpstreamRequestEncoder: Sendable {
    /// Whether the body of the request being encoded is chunked.
    public private(set) var chunked = false
    /// Body bytes the head's `Content-Length` declared (0 without one).
    public private(set) var declaredLength = 0
    /// Body bytes written so far (of a length-framed body).
    public private(set) var writtenLength = 0

    public init() {}

    /// Writes the request line and fields, and fixes the framing of the body that follows.
    public mutating func encodeHead(_ head: HTTPRequestHead, into buffer: inout ByteBuffer) {
        setFraming(of: head.headers)
        buffer.writeHTTPRequestLine(method: head.method, uri: head.uri)
        buffer.writeHTTPFields(head.headers)
        buffer.writeStaticString("\r\n")
    }

    /// Writes the upstream head for a client's request straight from it (`RequestHeadRewriter`'s
    /// rewrite, with no `HTTPRequestHead` built in between), and fixes the framing of the body
    /// that follows: the rewriter states exactly `framing`.
    public mutating func encodeHead(
        rewriting head: HTTPRequestHead, framing: RequestBodyFraming, context: ForwardingContext, droppedField: String?,
        into buffer: inout ByteBuffer
    ) {
        chunked = framing == .chunked
        writtenLength = 0
        if case .contentLength(let length) = framing {
            declaredLength = length
        } else {
            declaredLength = 0
        }
        RequestHeadRewriter.writeUpstreamHead(
            for: head, framing: framing, context: context, droppedField: droppedField, into: &buffer
        )
    }

    /// The framing a built head states. An unreadable length counts as none: any body is then refused.
    private mutating func setFraming(of headers: HTTPHeaders) {
        chunked = false
        declaredLength = 0
        writtenLength = 0
        for field in headers {
            if FieldName.equals(field.name, "transfer-encoding") {
                chunked = true
            } else if FieldName.equals(field.name, "content-length") {
                declaredLength = Int(field.value) ?? 0
            }
        }
    }

    /// Writes one body part through `write`, framed; throws, writing nothing, for a part that
    /// goes past the declared length.
    public mutating func encodeBody(
        _ part: ByteBuffer, allocator: ByteBufferAllocator, write: (ByteBuffer) -> Void
    ) throws(RequestFramingMismatch) {
        if chunked {
            ChunkedEncoding.writeChunk(part, allocator: allocator, write: write)
            return
        }
        let written = writtenLength + part.readableBytes
        guard written <= declaredLength else {
            throw RequestFramingMismatch(declared: declaredLength, written: written)
        }
        writtenLength = written
        write(part)
    }

    /// The bytes that end the request, if its framing has any; throws when fewer body bytes
    /// were written than declared. Either way the next request starts afresh.
    public mutating func encodeEnd() throws(RequestFramingMismatch) -> ByteBuffer? {
        let (wasChunked, declared, written) = (chunked, declaredLength, writtenLength)
        chunked = false
        declaredLength = 0
        writtenLength = 0
        if wasChunked {
            return ChunkedEncoding.lastChunk
        }
        guard written == declared else {
            throw RequestFramingMismatch(declared: declared, written: written)
        }
        return nil
    }
}
