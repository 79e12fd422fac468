// HTTPFieldLine: one `name: value` line of a head or trailer section (RFC 9112 §5), checked byte by byte.
import NIOCore

/// Field lines as both parsers read them: a token name, a colon with no space before it, the
/// value without the optional whitespace around it. A line starting with whitespace (obs-fold)
/// and a control character in the value are refused.
enum HTTPFieldLine {
    /// Checks `line`; returns the name's length and the value's range, as offsets from its reader index.
    static func check(_ line: ByteBuffer) throws -> (nameLength: Int, value: Range<Int>) {
        try line.withUnsafeReadableBytes { bytes in
            guard let first = bytes.first, !HTTPByteClass.isWhitespace(first) else {
                throw HTTPSyntaxError("folded field line (obs-fold)")
            }
            var colon = 0
            while colon < bytes.count, bytes[colon] != UInt8(ascii: ":") {
                guard HTTPByteClass.isToken(bytes[colon]) else { throw HTTPSyntaxError("invalid field name") }
                colon += 1
            }
            guard colon > 0, colon < bytes.count else { throw HTTPSyntaxError("field line without a name and colon") }
            var start = colon + 1
            var end = bytes.count
            while start < end, HTTPByteClass.isWhitespace(bytes[start]) {
                start += 1
            }
            while end > start, HTTPByteClass.isWhitespace(bytes[end - 1]) {
                end -= 1
            }
            guard !bytes[start..<end].contains(where: HTTPByteClass.isControl) else {
                throw HTTPSyntaxError("control character in a field value")
            }
            return (colon, start..<end)
        }
    }
}
