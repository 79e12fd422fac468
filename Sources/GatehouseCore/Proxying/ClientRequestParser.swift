// ClientRequestParser: a client's HTTP/1.1 requests (RFC 9112), read straight off the connection's bytes.
import NIOCore
import NIOHTTP1

/// Reads the requests of one client connection as a head, body slices and an end, in place of
/// NIO's `HTTPRequestDecoder` behind a `ByteToMessageHandler` (llhttp's callbacks into Swift and
/// the decoder's bookkeeping cost about a tenth of a pass-through request's CPU). Pipelined
/// requests follow one another; body bytes are slices of the read buffer, never copied.
///
/// Strict where a proxy must be (RFC 9112 §6.3, §11.2): `Content-Length` next to
/// `Transfer-Encoding`, conflicting lengths, a transfer coding that does not end in chunked, a
/// folded (obs-fold) field line, a control character in a field or anything but visible ASCII
/// in the target are
/// refused, and so is a method not made of upper-case letters, `-` and `_` (nginx's rule);
/// nothing after a refusal is read. Every line must end in CRLF, a bare LF is
/// refused (§2.2 allows either); empty lines before a request are skipped. `maxHeadBytes`
/// bounds the request line and fields together.
public struct ClientRequestParser {
    /// What the bytes read so far make: a head, body bytes (slices of the buffer that was
    /// read), an end (never with trailers; they are dropped).
    public typealias Event = HTTPServerRequestPart

    enum State: Equatable {
        case requestLine
        case fields
        case body
        /// A refusal was thrown: the rest of the connection's bytes mean nothing.
        case failed
    }

    // Internal rather than private: the head parsing is an extension in its own file.
    var state: State = .requestLine
    var method = HTTPMethod.GET
    var uri = ""
    var version = HTTPVersion.http1_1
    var fields = HTTPFieldCollector()
    /// What the head may still take of `maxHeadBytes`.
    var headBudget: Int
    /// The method and target of the request whose head was refused after its request line was
    /// read (a bad field, `Content-Length` with `Transfer-Encoding`, a head too large): the
    /// access log names them, as nginx's does for a 400 whose request line it read.
    public private(set) var refusedRequestLine: (method: String, target: String)?
    var lines = HTTPLineReader(requiringCRLF: true)
    var body = HTTPBodyReader()
    let maxHeadBytes: Int

    public init(maxHeadBytes: Int) {
        self.maxHeadBytes = maxHeadBytes
        self.headBudget = maxHeadBytes
    }

    /// Whether the bytes so far stop inside a request: a head begun, or a body not ended.
    public var isInsideRequest: Bool {
        switch state {
        case .requestLine: lines.hasPartialLine
        case .fields, .body: true
        case .failed: false
        }
    }

    /// The next event the bytes in `buffer` make, consuming them; nil once it needs more bytes.
    /// After a throw every later byte is dropped.
    public mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        do {
            return try parse(&buffer)
        } catch {
            if state == .fields {
                refusedRequestLine = (method.rawValue, uri)
            }
            state = .failed
            throw error
        }
    }

    private mutating func parse(_ buffer: inout ByteBuffer) throws -> Event? {
        while true {
            switch state {
            case .requestLine:
                guard let line = try nextHeadLine(&buffer) else { return nil }
                if line.readableBytes > 0 {
                    try parseRequestLine(line)
                }
            case .fields:
                guard let line = try nextHeadLine(&buffer) else { return nil }
                guard line.readableBytes == 0 else {
                    try fields.add(line)
                    continue
                }
                return try headComplete()
            case .body:
                let part: Event? = try body.next(&buffer, lines: &lines)
                if case .end = part {
                    state = .requestLine
                    headBudget = maxHeadBytes
                }
                return part
            case .failed:
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return nil
            }
        }
    }

    private mutating func nextHeadLine(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        try lines.next(&buffer, budget: &headBudget, orElse: HTTPSyntaxError("request head larger than \(maxHeadBytes) bytes", tooLarge: true))
    }
}
