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
/// response with both `Content-Length` and `Transfer-Encoding`, conflicting lengths, a transfer
/// coding other than `chunked` alone, a folded (obs-fold) field line, a control character in a
/// field, or a bare CR is refused. A bare LF
/// ends a line (RFC 9112 §2.2 allows it; nginx reads origins so too), unlike in a client's
/// request. Informational responses other than 101 are not events: a `100 Continue` is noted
/// (`takeContinue`, for a client waiting to send its body) and the rest are skipped, as NIO's
/// decoder skipped them; trailers are read and dropped.
public struct UpstreamResponseParser {
    /// What the bytes read so far make: a head, body bytes (slices of the buffer that was
    /// read), an end (never with trailers; they are dropped).
    public typealias Event = HTTPClientResponsePart

    enum State: Equatable {
        /// No request is outstanding: any byte is an error.
        case idle
        case statusLine
        /// Field lines of an informational (1xx) response, which are dropped once their framing
        /// fields were looked at.
        case informationalFields
        case fields
        case body
    }

    // Internal rather than private: the head parsing is an extension in its own file.
    var state: State = .idle
    var requestIsHEAD = false
    var version = HTTPVersion.http1_1
    var statusCode = 0
    var fields = HTTPFieldCollector()
    /// What the head may still take of `maxHeadBytes`.
    var headBudget = 0
    var lines = HTTPLineReader(requiringCRLF: false)
    var body = HTTPBodyReader()
    let maxHeadBytes: Int
    /// A `100 Continue` was read and not yet taken.
    var continueReceived = false

    /// Whether, as far as the response's heads can tell, the connection is fit for another
    /// exchange once the response ends: false after a 1xx or 204 that declared content it must
    /// not have (RFC 9110 §8.6, §15.3.5), content its server may send after all, in a later read,
    /// where it would be taken for the next request's response. Known with the head.
    public internal(set) var framingAllowsReuse = true

    /// How long, in seconds, the server said it keeps the connection open while idle after this
    /// response (`Keep-Alive: timeout=N`, see `KeepAliveField`); nil when it did not say.
    /// Known with the head.
    public internal(set) var keepAliveTimeout: Int64?

    /// `maxHeadBytes`: the status line and fields together (NIO's decoder allowed 80 KiB), and
    /// again the trailers.
    public init(maxHeadBytes: Int = 80 * 1024) {
        self.maxHeadBytes = maxHeadBytes
    }

    /// Whether a response is being read (its head or its body).
    public var isReadingResponse: Bool {
        state != .idle
    }

    /// Whether the body, if the head said so, ends only when the server closes the connection.
    public var isReadingUntilClose: Bool {
        body.state == .untilClose
    }

    /// A request was sent: its response comes next. `toHEAD` because a response to HEAD has no
    /// body, whatever its length fields say.
    public mutating func expectResponse(toHEAD: Bool) {
        requestIsHEAD = toHEAD
        continueReceived = false
        framingAllowsReuse = true
        keepAliveTimeout = nil
        state = .statusLine
        lines.reset()
        headBudget = maxHeadBytes
        fields.reset()
    }

    /// The next event the bytes in `buffer` make, consuming them; nil once it needs more bytes.
    /// After `.end` it is idle until the next `expectResponse`, leaving later bytes unread.
    public mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        while true {
            switch state {
            case .idle:
                guard buffer.readableBytes == 0 else { throw HTTPSyntaxError("bytes sent with no request outstanding") }
                return nil
            case .statusLine:
                guard let line = try nextHeadLine(&buffer) else { return nil }
                try parseStatusLine(line)
            case .informationalFields, .fields:
                guard let line = try nextHeadLine(&buffer) else { return nil }
                if line.readableBytes > 0 {
                    try fields.add(line)
                } else if state == .informationalFields {
                    continueReceived = continueReceived || statusCode == 100
                    if HTTPBodyReader.FramingFields.declareContent(fields.discard()) {
                        framingAllowsReuse = false
                    }
                    state = .statusLine
                } else {
                    return try headComplete()
                }
            case .body:
                let part: Event? = try body.next(&buffer, lines: &lines)
                if case .end = part {
                    state = .idle
                }
                return part
            }
        }
    }

    /// Whether a `100 Continue` was read since the last call (its place: before the head that
    /// `next` returned with it, if any).
    public mutating func takeContinue() -> Bool {
        guard continueReceived else { return false }
        continueReceived = false
        return true
    }

    /// The server closed the connection: `.end` when that ends a body read until close, nil
    /// otherwise (a response being read is then cut short; the caller decides what that means).
    public mutating func connectionClosed() -> Event? {
        guard state == .body, body.connectionClosed() else { return nil }
        state = .idle
        return .end(nil)
    }

    private mutating func nextHeadLine(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        try lines.next(&buffer, budget: &headBudget, orElse: HTTPSyntaxError("response head larger than \(maxHeadBytes) bytes", tooLarge: true))
    }
}
