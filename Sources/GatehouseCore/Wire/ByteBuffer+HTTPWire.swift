// ByteBuffer+HTTPWire: writes HTTP/1.1 status lines and header fields as wire bytes, without intermediate Strings.
import NIOCore
import NIOHTTP1

extension ByteBuffer {
    /// Writes `HTTP/1.x CODE REASON\r\n`; an HTTP/1.0 client gets an HTTP/1.0 status line.
    @discardableResult
    public mutating func writeHTTPStatusLine(version: HTTPVersion, status: HTTPResponseStatus) -> Int {
        let isHTTP10 = version.major == 1 && version.minor == 0
        if case .ok = status {
            // Most responses: one copy of a constant instead of five checked writes.
            return writeStaticString(isHTTP10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n")
        }
        var written = writeStaticString(isHTTP10 ? "HTTP/1.0 " : "HTTP/1.1 ")
        written += writeDecimal(Int(status.code))
        written += writeInteger(UInt8(ascii: " "))
        written += writeString(status.reasonPhrase)
        written += writeStaticString("\r\n")
        return written
    }

    /// Writes `METHOD target HTTP/1.1\r\n`: Gatehouse speaks HTTP/1.1 to origins.
    @discardableResult
    public mutating func writeHTTPRequestLine(method: HTTPMethod, uri: String) -> Int {
        var written = writeString(method.rawValue)
        written += writeInteger(UInt8(ascii: " "))
        written += writeString(uri)
        written += writeStaticString(" HTTP/1.1\r\n")
        return written
    }

    /// Writes one `name: value\r\n` line. Values come from a parsed message or from Gatehouse
    /// itself, so they hold no CR or LF (the parsers refuse them on the way in); each is written
    /// as the bytes it was read from (`FieldValueBytes`).
    @discardableResult
    public mutating func writeHTTPField(name: String, value: String) -> Int {
        // One reservation and one copy per part: four separate writes each re-checked the
        // buffer's capacity and uniqueness, a measurable share of every relayed head.
        let count = name.utf8.count + value.utf8.count + 4
        return writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            // A name is a token (ASCII), copied as it is.
            var at = FieldValueBytes.write(name, into: out, at: 0)
            out[at] = UInt8(ascii: ":")
            out[at + 1] = UInt8(ascii: " ")
            at = FieldValueBytes.write(value, into: out, at: at + 2)
            out[at] = UInt8(ascii: "\r")
            out[at + 1] = UInt8(ascii: "\n")
            return at + 2
        }
    }

    /// Writes every field of `headers`, in order.
    @discardableResult
    public mutating func writeHTTPFields(_ headers: HTTPHeaders) -> Int {
        var written = 0
        for (name, value) in headers {
            written += writeHTTPField(name: name, value: value)
        }
        return written
    }

    /// Writes `value` in decimal ASCII.
    @discardableResult
    public mutating func writeDecimal(_ value: Int) -> Int {
        if value < 0 {
            return writeInteger(UInt8(ascii: "-")) + writeDecimal(UInt(value.magnitude))
        }
        return writeDecimal(UInt(value))
    }

    @discardableResult
    private mutating func writeDecimal(_ value: UInt) -> Int {
        DecimalDigits.withDigits(UInt64(value)) { writeBytes($0) }
    }

    /// Writes `value` in lowercase hexadecimal ASCII (chunk sizes).
    @discardableResult
    public mutating func writeHexadecimal(_ value: Int) -> Int {
        let hex: StaticString = "0123456789abcdef"
        var digits: (UInt64, UInt64) = (0, 0)
        var rest = UInt(value.magnitude)
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = hex.utf8Start[Int(rest & 0xF)]
                rest >>= 4
            } while rest > 0
            return writeBytes(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }
}
