// DownstreamResponseEncoder: frames the responses of one client connection as bytes, one response at a time.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Turns response heads and body parts into wire bytes for the client connection. It replaces
/// NIO's `HTTPResponseEncoder` so that a cached response goes out as one pre-encoded buffer
/// (DESIGN.md §3) while streamed responses keep their framing: the length the head states, or
/// chunked for an HTTP/1.1 client when none is known; nothing after the head of a response to
/// HEAD or of a 1xx/204/304.
struct DownstreamResponseEncoder {
    enum Framing {
        /// HEAD, 1xx, 204, 304: the head is the whole response.
        case noBody
        /// A `Content-Length`, or close-delimited for an HTTP/1.0 client: bytes as they are.
        case identity
        /// No length known and an HTTP/1.1 client: each part is a chunk, the end a last-chunk.
        case chunked
    }

    private(set) var framing: Framing = .identity

    /// The framing of a response to `head` for a client speaking `version`.
    static func framing(for head: HTTPResponseHead, version: HTTPVersion, requestIsHEAD: Bool) -> Framing {
        let code = head.status.code
        if requestIsHEAD || code < 200 || code == 204 || code == 304 {
            return .noBody
        }
        if head.headers.contains(name: "content-length") || version.minor == 0 {
            return .identity
        }
        return .chunked
    }

    /// Starts the head of a streamed response to a client speaking `version`, which fixes the
    /// framing of what follows: the status line, written into `buffer` (empty, with room for
    /// `headCapacity`). The caller writes the fields, then `endHead`.
    mutating func beginHead(
        _ head: HTTPResponseHead, version: HTTPVersion, requestIsHEAD: Bool, into buffer: inout ByteBuffer
    ) {
        framing = Self.framing(for: head, version: version, requestIsHEAD: requestIsHEAD)
        // In place: a buffer passed in and copied to a local had two references at its first
        // write, which made ByteBuffer copy it (an allocation and a copy per proxied response).
        buffer.writeHTTPStatusLine(version: version, status: head.status)
    }

    /// Ends the head begun by `beginHead`: the framing field and the blank line.
    func endHead(_ buffer: inout ByteBuffer) {
        if case .chunked = framing {
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Room for a typical head with Gatehouse's fields, so the buffer is allocated once
    /// (a 512-byte start grew, copying, for many responses).
    static let headCapacity = 1024

    /// Writes one body part through `write`, framed.
    func encodeBody(_ part: ByteBuffer, allocator: ByteBufferAllocator, write: (ByteBuffer) -> Void) {
        switch framing {
        case .noBody:
            break
        case .identity:
            write(part)
        case .chunked:
            ChunkedEncoding.writeChunk(part, allocator: allocator, write: write)
        }
    }

    /// The bytes that end the response, if its framing has any.
    func encodeEnd() -> ByteBuffer? {
        if case .chunked = framing {
            return ChunkedEncoding.lastChunk
        }
        return nil
    }
}
