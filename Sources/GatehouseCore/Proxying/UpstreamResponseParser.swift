// UpstreamResponseParser: the framing of an origin's HTTP/1.1 responses (RFC 9112), read straight off its bytes.
import NIOCore
import NIOHTTP1

/// Reads the responses of one upstream connection as a head, body slices and an end, in place
/// of NIO's `HTTPResponseDecoder` behind a `ByteToMessageHandler`. Measured on a pass-through
/// request, that pair cost about an eighth of Gatehouse's CPU: llhttp's callbacks into Swift, a
/// queue of request heads, one `NIOAny` and one pipeline hop per part. Here the head is parsed
/// in one pass and body bytes are handed on as slices of the read buffer, never copied.
///
/// As strict as llhttp in NIO's default mode where it matters for a proxy that caches: a
/// response with both `Content-Length` and `Transfer-Encoding`, conflicting lengths, a folded
/// (obs-fold) field line, a control character in a field, or a bare CR is refused; a bare LF
/// ends a line (RFC 9112 §2.2). Informational responses other than 101 are skipped, as NIO's
/// decoder skipped them; trailers are read and dropped.
public struct UpstreamResponseParser {
    /// What the bytes read so far make.
    public enum Event: Equatable {
        case head(HTTPResponseHead)
        /// Body bytes, a slice of the buffer that was read.
        case body(ByteBuffer)
        case end
    }

    /// Why the bytes are not a valid response; the connection cannot be used any more.
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    enum State: Equatable {
        /// No request is outstanding: any byte is an error.
        case idle
        case statusLine
        /// Field lines of an informational (1xx) response, which are dropped.
        case informationalFields
        case fields
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF that ends a chunk's data.
        case chunkDataEnd
        case trailers
        /// No length: the body ends when the server closes the connection.
        case untilClose
        /// The body has been read (or there is none): `.end` is next.
        case complete
    }

    // Internal rather than private: the head and line readers are extensions in their own files.
    var state: State = .idle
    var requestIsHEAD = false
    var version = HTTPVersion.http1_1
    var statusCode = 0
    var headers = HTTPHeaders()
    /// Bytes of the head (or trailers) so far, against `maxHeadBytes`.
    var headBytes = 0
    /// The start of a line that the last read ended inside.
    var partialLine: ByteBuffer?
    let maxHeadBytes: Int

    /// A chunk-size line with its extensions; nginx allows less.
    static let maxChunkSizeLine = 4096

    /// `maxHeadBytes`: the status line and fields together (NIO's decoder allowed 80 KiB).
    public init(maxHeadBytes: Int = 80 * 1024) {
        self.maxHeadBytes = maxHeadBytes
    }

    /// Whether a response is being read (its head or its body).
    public var isReadingResponse: Bool {
        state != .idle
    }

    /// Whether the body, if the head said so, ends only when the server closes the connection.
    public var isReadingUntilClose: Bool {
        state == .untilClose
    }

    /// A request was sent: its response comes next. `toHEAD` because a response to HEAD has no
    /// body, whatever its length fields say.
    public mutating func expectResponse(toHEAD: Bool) {
        requestIsHEAD = toHEAD
        state = .statusLine
        partialLine = nil
        headBytes = 0
        headers = HTTPHeaders()
        // One allocation for a usual head, instead of the array doubling its way up to it.
        headers.reserveCapacity(Self.usualFieldCount)
    }

    static let usualFieldCount = 16

    /// The next event the bytes in `buffer` make, consuming them; nil once it needs more bytes.
    /// After `.end` it is idle until the next `expectResponse`, leaving later bytes unread.
    public mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        while true {
            switch state {
            case .idle:
                guard buffer.readableBytes == 0 else { throw Malformed("bytes sent with no request outstanding") }
                return nil
            case .statusLine:
                guard let line = try nextHeadLine(&buffer) else { return nil }
                try parseStatusLine(line)
            case .informationalFields, .fields:
                guard let line = try nextHeadLine(&buffer) else { return nil }
                if line.readableBytes > 0 {
                    try parseField(line)
                } else if state == .informationalFields {
                    state = .statusLine
                    headers = HTTPHeaders()
                } else {
                    return try headComplete()
                }
            case .fixedBody(let remaining):
                guard let (slice, left) = Self.bodySlice(&buffer, remaining: remaining) else { return nil }
                state = left == 0 ? .complete : .fixedBody(remaining: left)
                return .body(slice)
            case .chunkSize:
                guard let line = try nextLine(&buffer, limit: Self.maxChunkSizeLine, tooLong: "chunk size line too long") else {
                    return nil
                }
                let size = try Self.chunkSize(line)
                if size == 0 {
                    headBytes = 0
                    state = .trailers
                } else {
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                guard let (slice, left) = Self.bodySlice(&buffer, remaining: remaining) else { return nil }
                state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                return .body(slice)
            case .chunkDataEnd:
                guard let line = try nextLine(&buffer, limit: 2, tooLong: "chunk data longer than its size") else { return nil }
                guard line.readableBytes == 0 else { throw Malformed("chunk data longer than its size") }
                state = .chunkSize
            case .trailers:
                guard let line = try nextHeadLine(&buffer) else { return nil }
                if line.readableBytes == 0 {
                    state = .complete
                } else {
                    try parseField(line)  // checked like any field, then dropped
                }
            case .complete:
                state = .idle
                return .end
            case .untilClose:
                guard buffer.readableBytes > 0, let slice = buffer.readSlice(length: buffer.readableBytes) else { return nil }
                return .body(slice)
            }
        }
    }

    /// Up to `remaining` body bytes off `buffer`, uncopied, and how many are still to come; nil
    /// when the buffer is empty.
    private static func bodySlice(_ buffer: inout ByteBuffer, remaining: Int) -> (ByteBuffer, left: Int)? {
        let length = min(remaining, buffer.readableBytes)
        guard length > 0, let slice = buffer.readSlice(length: length) else { return nil }
        return (slice, remaining - length)
    }

    /// The server closed the connection: `.end` when that ends a body read until close, nil
    /// otherwise (a response being read is then cut short; the caller decides what that means).
    public mutating func connectionClosed() -> Event? {
        guard state == .untilClose else { return nil }
        state = .idle
        return .end
    }
}
