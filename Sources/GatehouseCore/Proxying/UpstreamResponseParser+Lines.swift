// UpstreamResponseParser+Lines: lines that may end in a later read, and chunk-size lines.
import NIOCore

extension UpstreamResponseParser {
    /// The next line of the head or trailers, within what is left of `maxHeadBytes`.
    mutating func nextHeadLine(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let before = (partialLine?.readableBytes ?? 0) + buffer.readableBytes
        let limit = maxHeadBytes
        guard let line = try nextLine(&buffer, limit: limit - headBytes, tooLong: "response head larger than \(limit) bytes") else {
            return nil
        }
        // What the line took, terminator included: the bytes it came from minus those left over.
        headBytes += before - buffer.readableBytes
        return line
    }

    /// The next whole line without its CRLF (or bare LF), consumed from `buffer`; nil when the
    /// buffer ends inside the line, whose start is kept (copied: a slice would pin NIO's
    /// receive buffer) for the next read. `limit` counts the terminator.
    mutating func nextLine(_ buffer: inout ByteBuffer, limit: Int, tooLong: @autoclosure () -> String) throws -> ByteBuffer? {
        let kept = partialLine?.readableBytes ?? 0
        guard let newline = buffer.withUnsafeReadableBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) else {
            guard kept + buffer.readableBytes <= limit else { throw Malformed(tooLong()) }
            var partial = partialLine ?? ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
            partial.writeBuffer(&buffer)
            partialLine = partial
            return nil
        }
        guard kept + newline + 1 <= limit, var line = buffer.readSlice(length: newline + 1) else { throw Malformed(tooLong()) }
        if var partial = partialLine {
            partialLine = nil
            partial.writeBuffer(&line)
            line = partial
        }
        // Drop the LF, and the CR before it; a CR anywhere else is refused by the line's parser.
        var length = line.readableBytes - 1
        if length > 0, line.getInteger(at: line.readerIndex + length - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            length -= 1
        }
        return line.getSlice(at: line.readerIndex, length: length)
    }

    /// The size in a chunk-size line (RFC 9112 §7.1): hex digits, then optional extensions,
    /// which are not used.
    static func chunkSize(_ line: ByteBuffer) throws -> Int {
        try line.withUnsafeReadableBytes { bytes in
            var size = 0
            var index = 0
            while index < bytes.count, let digit = hexValue(bytes[index]) {
                // 15 digits fit an Int with room; a larger chunk is nonsense, not a big body.
                guard index < 15 else { throw Malformed("chunk size too large") }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else { throw Malformed("chunk size line without a size") }
            while index < bytes.count, HTTPByteClass.isWhitespace(bytes[index]) {
                index += 1
            }
            guard index == bytes.count || bytes[index] == UInt8(ascii: ";") else {
                throw Malformed("invalid chunk size line")
            }
            guard !bytes[index...].contains(where: HTTPByteClass.isControl) else {
                throw Malformed("control character in a chunk extension")
            }
            return size
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
