// DownstreamResponseEncoder: frames the responses of one client connection as bytes, one response at a time.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Turns response heads and body parts into wire bytes for the client connection. It replaces
/// NIO's `HTTPResponseEncoder` so that a cached response goes out as one pre-encoded buffer
/// (DESIGN.md §3) while streamed responses keep their framing: the length the origin stated, or
/// chunked for an HTTP/1.1 client when none is known; nothing after the head of a response to
/// HEAD or of a 1xx/204/304.
///
/// The head's framing fields (`Content-Length`, `Transfer-Encoding`) and `Connection` are always
/// the ones it writes itself, from the framing it then uses: the origin's are never copied
/// (`ResponseHeadRewriter` leaves them out), so what the head declares and how the body is sent
/// cannot disagree, whatever the origin's `Connection` named or how it listed its length.
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
    /// Of the response whose head is being written: whether a length may be stated (not for a
    /// 1xx or a 204, RFC 9110 §8.6), and the client's version.
    private var statesLength = true
    private var clientIsHTTP10 = false

    /// Starts the head of a streamed response to a client speaking `version`: the status line,
    /// written into `buffer` (empty, with room for `headCapacity`). The caller writes the fields
    /// (`ResponseHeadRewriter.writeFields` and Gatehouse's own), then `endHead`.
    mutating func beginHead(
        _ head: HTTPResponseHead, version: HTTPVersion, requestIsHEAD: Bool, into buffer: inout ByteBuffer
    ) {
        let code = head.status.code
        clientIsHTTP10 = version.minor == 0
        statesLength = code >= 200 && code != 204
        if requestIsHEAD || code < 200 || code == 204 || code == 304 {
            framing = .noBody
        } else {
            framing = clientIsHTTP10 ? .identity : .chunked  // until a length says otherwise
        }
        // In place: a buffer passed in and copied to a local had two references at its first
        // write, which made ByteBuffer copy it (an allocation and a copy per proxied response).
        buffer.writeHTTPStatusLine(version: version, status: head.status)
    }

    /// Ends the head begun by `beginHead`, which fixes the framing of what follows: the framing
    /// field for `contentLength` (what the origin stated, as `writeFields` read it: for HEAD
    /// and 304 the length a GET or 200 would have had, passed on), `Connection`, the blank line.
    /// Returns whether the client's connection stays open after this response: `keepAlive`,
    /// unless the body can only end with the connection (no length, an HTTP/1.0 client).
    mutating func endHead(_ buffer: inout ByteBuffer, contentLength: Int?, keepAlive: Bool) -> Bool {
        var closeDelimited = false
        if statesLength, let contentLength {
            if case .chunked = framing {
                framing = .identity
            }
            buffer.writeStaticString("Content-Length: ")
            buffer.writeDecimal(contentLength)
            buffer.writeStaticString("\r\n")
        } else if case .chunked = framing {
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        } else if case .identity = framing {
            closeDelimited = true
        }
        let keepAlive = keepAlive && !closeDelimited
        if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        } else if clientIsHTTP10 {
            buffer.writeStaticString("Connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        return keepAlive
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
