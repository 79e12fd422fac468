// UpstreamResponseParser+Head: the status line, field lines, and how the body is framed (RFC 9112 §4, §5, §6.3).
import NIOCore
import NIOHTTP1

extension UpstreamResponseParser {
    /// `HTTP/1.x SP 3DIGIT [SP reason-phrase]`. The reason phrase is not kept: clients get the
    /// standard one, as they did from NIO's decoder.
    mutating func parseStatusLine(_ line: ByteBuffer) throws {
        let (minor, code) = try line.withUnsafeReadableBytes { bytes -> (Int, Int) in
            guard bytes.count >= 12, bytes.starts(with: "HTTP/1.".utf8), bytes[8] == UInt8(ascii: " ") else {
                throw Malformed("invalid status line")
            }
            guard let minor = Self.digit(bytes[7]),
                  let hundreds = Self.digit(bytes[9]), let tens = Self.digit(bytes[10]), let ones = Self.digit(bytes[11]),
                  hundreds >= 1
            else {
                throw Malformed("invalid status line")
            }
            if bytes.count > 12 {
                guard bytes[12] == UInt8(ascii: " "), !bytes[13...].contains(where: HTTPByteClass.isControl) else {
                    throw Malformed("invalid reason phrase")
                }
            }
            return (minor, hundreds * 100 + tens * 10 + ones)
        }
        version = HTTPVersion(major: 1, minor: minor)
        statusCode = code
        if (100..<200).contains(code) {
            // Gatehouse never asks an origin to switch protocols (Upgrade is hop-by-hop).
            guard code != 101 else { throw Malformed("101 Switching Protocols without an upgrade request") }
            state = .informationalFields
        } else {
            state = .fields
        }
    }

    /// `name ":" OWS value OWS`; kept only for the final response's head.
    mutating func parseField(_ line: ByteBuffer) throws {
        let (colon, valueStart, valueEnd) = try line.withUnsafeReadableBytes { bytes -> (Int, Int, Int) in
            guard let first = bytes.first, !HTTPByteClass.isWhitespace(first) else {
                throw Malformed("folded field line (obs-fold)")
            }
            var colon = 0
            while colon < bytes.count, bytes[colon] != UInt8(ascii: ":") {
                guard HTTPByteClass.isToken(bytes[colon]) else { throw Malformed("invalid field name") }
                colon += 1
            }
            guard colon > 0, colon < bytes.count else { throw Malformed("field line without a name and colon") }
            var start = colon + 1
            var end = bytes.count
            while start < end, HTTPByteClass.isWhitespace(bytes[start]) {
                start += 1
            }
            while end > start, HTTPByteClass.isWhitespace(bytes[end - 1]) {
                end -= 1
            }
            guard !bytes[start..<end].contains(where: HTTPByteClass.isControl) else {
                throw Malformed("control character in a field value")
            }
            return (colon, start, end)
        }
        guard state == .fields else { return }
        let base = line.readerIndex
        let name = line.getString(at: base, length: colon) ?? ""
        let value = line.getString(at: base + valueStart, length: valueEnd - valueStart) ?? ""
        headers.add(name: name, value: value)
    }

    /// The head is complete: decides how its body is framed and hands it out.
    mutating func headComplete() throws -> Event {
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: statusCode), headers: headers)
        headers = HTTPHeaders()
        state = try bodyFraming(of: head)
        return .head(head)
    }

    /// RFC 9112 §6.3, in its order.
    private func bodyFraming(of head: HTTPResponseHead) throws -> State {
        if requestIsHEAD || statusCode == 204 || statusCode == 304 {
            return .complete
        }
        var transferCoded = false
        var chunkedLast = false
        var length: Int?
        for (name, value) in head.headers {
            if FieldName.equals(name, "transfer-encoding") {
                transferCoded = true
                // Only the last coding of the last field counts; an empty list element changes nothing.
                if let last = value.split(separator: ",").last(where: { !$0.trimmingOWS().isEmpty }) {
                    chunkedLast = FieldName.equals(String(last.trimmingOWS()), "chunked")
                }
            } else if FieldName.equals(name, "content-length") {
                guard let parsed = Self.contentLength(value), length == nil || length == parsed else {
                    throw Malformed("invalid or conflicting Content-Length")
                }
                length = parsed
            }
        }
        if transferCoded {
            // A length next to a transfer coding is how responses get smuggled into a cache.
            guard length == nil else { throw Malformed("both Content-Length and Transfer-Encoding") }
            // Chunked from an HTTP/1.0 server is faulty framing (§6.1): read until it closes.
            return chunkedLast && version.minor >= 1 ? .chunkSize : .untilClose
        }
        if let length {
            return length == 0 ? .complete : .fixedBody(remaining: length)
        }
        return .untilClose
    }

    /// A `Content-Length` value: one number, or a list of the same number repeated (RFC 9110
    /// §8.6), each of at most 18 digits so that it fits an `Int`; nil for anything else.
    static func contentLength(_ text: String) -> Int? {
        var result: Int?
        var value = 0
        var digits = 0
        var elementEnded = false  // whitespace after the digits: only a comma may follow
        for byte in text.utf8 {
            if let digit = digit(byte) {
                guard !elementEnded, digits < 18 else { return nil }
                value = value * 10 + digit
                digits += 1
            } else if byte == UInt8(ascii: ",") {
                guard digits > 0, result == nil || result == value else { return nil }
                (result, value, digits, elementEnded) = (value, 0, 0, false)
            } else if HTTPByteClass.isWhitespace(byte) {
                elementEnded = digits > 0
            } else {
                return nil
            }
        }
        guard digits > 0, result == nil || result == value else { return nil }
        return value
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }
}
