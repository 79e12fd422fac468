// HTTPLineReader: the lines of a head, chunk sizes and trailers, when a line may end in a later read.
import NIOCore

/// Takes lines off a connection's bytes. A line ends in CRLF, or where bare LFs are allowed in
/// a bare LF too (RFC 9112 §2.2); a CR anywhere else is left in the line for its parser to refuse.
struct HTTPLineReader {
    /// The start of a line that the last read ended inside, copied: a slice would pin NIO's
    /// pooled receive buffer.
    private var partial: ByteBuffer?
    /// Whether a bare LF is refused rather than read as a line end. Requests: a front end that
    /// reads a lone LF differently from the origin is how requests get smuggled, and llhttp
    /// (which Gatehouse used before) refused them too.
    private let requiresCRLF: Bool

    init(requiringCRLF: Bool) {
        self.requiresCRLF = requiringCRLF
    }

    /// Whether part of a line is waiting for the rest.
    var hasPartialLine: Bool {
        partial != nil
    }

    mutating func reset() {
        partial = nil
    }

    /// The next whole line without its terminator, consumed from `buffer`; nil when the buffer
    /// ends inside the line. `limit` counts the terminator; a longer line throws `tooLong`.
    mutating func next(_ buffer: inout ByteBuffer, limit: Int, orElse tooLong: @autoclosure () -> HTTPSyntaxError) throws -> ByteBuffer? {
        let kept = partial?.readableBytes ?? 0
        guard let newline = buffer.withUnsafeReadableBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) else {
            guard buffer.readableBytes > 0 else { return nil }
            guard kept + buffer.readableBytes <= limit else { throw tooLong() }
            var start = partial ?? ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
            start.writeBuffer(&buffer)
            partial = start
            return nil
        }
        guard kept + newline + 1 <= limit else { throw tooLong() }
        guard var start = partial else {
            // The usual case, the whole line in this read: one slice, of the line's content only.
            let length = try lengthBeforeTerminator(in: buffer, newline: newline)
            let line = buffer.getSlice(at: buffer.readerIndex, length: length)
            buffer.moveReaderIndex(forwardBy: newline + 1)
            return line
        }
        partial = nil
        guard var rest = buffer.readSlice(length: newline + 1) else { throw tooLong() }
        start.writeBuffer(&rest)
        let length = try lengthBeforeTerminator(in: start, newline: start.readableBytes - 1)
        return start.getSlice(at: start.readerIndex, length: length)
    }

    /// How long the line before the LF at `newline` (from the reader index) is without its CR;
    /// a bare LF throws where CRLF is required.
    private func lengthBeforeTerminator(in buffer: ByteBuffer, newline: Int) throws -> Int {
        if newline > 0, buffer.getInteger(at: buffer.readerIndex + newline - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            return newline - 1
        }
        if requiresCRLF {
            throw HTTPSyntaxError("bare LF line ending")
        }
        return newline
    }

    /// The next line of a head or trailer section, whose bytes (terminators included) are taken
    /// from `budget`, what the section may still use.
    mutating func next(_ buffer: inout ByteBuffer, budget: inout Int, orElse tooLarge: @autoclosure () -> HTTPSyntaxError) throws -> ByteBuffer? {
        let before = (partial?.readableBytes ?? 0) + buffer.readableBytes
        guard let line = try next(&buffer, limit: budget, orElse: tooLarge()) else { return nil }
        budget -= before - buffer.readableBytes
        return line
    }
}
