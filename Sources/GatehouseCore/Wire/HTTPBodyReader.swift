// HTTPBodyReader: a message body after its head (RFC 9112 §6, §7.1), by length, in chunks, or until the close.
import NIOCore
import NIOHTTP1

/// Hands a body on as slices of the read buffers, never copied, and says where it ends. Both
/// parsers use it: `ClientRequestParser` for request bodies, `UpstreamResponseParser` for
/// responses. Chunk extensions are checked and ignored; trailers are checked and dropped.
struct HTTPBodyReader {
    /// How the head said the body is delimited.
    enum Framing: Equatable {
        case length(Int)
        case chunked
        /// No length (a response only): the body ends when the sender closes the connection.
        case untilClose
    }

    enum State: Equatable {
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF that ends a chunk's data.
        case chunkDataEnd
        case trailers
        case untilClose
        /// All read: `.end` is next.
        case complete
        /// `.end` was given; nothing more until the next `start`.
        case done
    }

    private(set) var state: State = .done
    /// What the trailer section may still take.
    private var trailerBudget = 0

    /// A chunk-size line with its extensions; nginx allows less.
    static let maxChunkSizeLine = 4096

    /// A body framed by `framing` follows; `maxTrailerBytes` bounds a chunked body's trailers.
    mutating func start(_ framing: Framing, maxTrailerBytes: Int) {
        trailerBudget = maxTrailerBytes
        switch framing {
        case .length(let length):
            state = length == 0 ? .complete : .fixed(remaining: length)
        case .chunked:
            state = .chunkSize
        case .untilClose:
            state = .untilClose
        }
    }

    /// The next body part or the end (with no trailers: they are dropped), consuming bytes from
    /// `buffer` (and lines through `lines`); nil once it needs more bytes, and after the end.
    mutating func next<Head>(_ buffer: inout ByteBuffer, lines: inout HTTPLineReader) throws -> HTTPPart<Head, ByteBuffer>? {
        while true {
            switch state {
            case .fixed(let remaining):
                guard let (slice, left) = Self.slice(&buffer, remaining: remaining) else { return nil }
                state = left == 0 ? .complete : .fixed(remaining: left)
                return .body(slice)
            case .chunkSize:
                let tooLong = HTTPSyntaxError("chunk size line too long")  // a bad chunk (400), not a large head
                guard let line = try lines.next(&buffer, limit: Self.maxChunkSizeLine, orElse: tooLong) else { return nil }
                let size = try ChunkedEncoding.size(ofLine: line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard let (slice, left) = Self.slice(&buffer, remaining: remaining) else { return nil }
                state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                return .body(slice)
            case .chunkDataEnd:
                let overrun = HTTPSyntaxError("chunk data longer than its size")
                guard let line = try lines.next(&buffer, limit: 2, orElse: overrun) else { return nil }
                guard line.readableBytes == 0 else { throw overrun }
                state = .chunkSize
            case .trailers:
                let tooLarge = HTTPSyntaxError("trailer section too large", tooLarge: true)
                guard let line = try lines.next(&buffer, budget: &trailerBudget, orElse: tooLarge) else { return nil }
                if line.readableBytes == 0 {
                    state = .complete
                } else {
                    _ = try HTTPFieldLine.check(line)  // checked like any field, then dropped
                }
            case .untilClose:
                guard buffer.readableBytes > 0, let slice = buffer.readSlice(length: buffer.readableBytes) else { return nil }
                return .body(slice)
            case .complete:
                state = .done
                return .end(nil)
            case .done:
                return nil
            }
        }
    }

    /// The sender closed the connection: whether that ends the body (one read until close);
    /// otherwise a body being read is cut short.
    mutating func connectionClosed() -> Bool {
        guard state == .untilClose else { return false }
        state = .done
        return true
    }

    /// Up to `remaining` bytes off `buffer`, uncopied, and how many are still to come; nil when
    /// the buffer is empty.
    private static func slice(_ buffer: inout ByteBuffer, remaining: Int) -> (ByteBuffer, left: Int)? {
        let length = min(remaining, buffer.readableBytes)
        guard length > 0, let slice = buffer.readSlice(length: length) else { return nil }
        return (slice, remaining - length)
    }
}
