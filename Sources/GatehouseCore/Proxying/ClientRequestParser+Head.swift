// ClientRequestParser+Head: the request line, and how a request's body is framed (RFC 9112 §3, §6.3).
import NIOCore
import NIOHTTP1

extension ClientRequestParser {
    /// `method SP request-target SP HTTP/d.d`. Which versions and target forms are served is
    /// `RequestHeadValidator`'s decision; here only the syntax is.
    mutating func parseRequestLine(_ line: ByteBuffer) throws {
        let (methodLength, target, major, minor) = try line.withUnsafeReadableBytes { bytes -> (Int, Range<Int>, Int, Int) in
            var index = 0
            while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
                guard Self.isMethodByte(bytes[index]) else { throw HTTPSyntaxError("invalid method") }
                index += 1
            }
            let methodLength = index
            index += 1
            let targetStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
                // Visible ASCII only (RFC 3986, as llhttp had it): raw UTF-8 would become a
                // different target once read as a String (invalid sequences are replaced).
                guard bytes[index] > 0x20, bytes[index] < 0x7F else { throw HTTPSyntaxError("invalid request target") }
                index += 1
            }
            let target = targetStart..<index
            // Exactly " HTTP/d.d" to the end of the line.
            guard methodLength > 0, !target.isEmpty, bytes.count - index == 9,
                  bytes[(index + 1)...].starts(with: "HTTP/".utf8), bytes[index + 7] == UInt8(ascii: "."),
                  let major = HTTPByteClass.digit(bytes[index + 6]), let minor = HTTPByteClass.digit(bytes[index + 8])
            else {
                throw HTTPSyntaxError("invalid request line")
            }
            return (methodLength, target, major, minor)
        }
        let base = line.readerIndex
        method = HTTPMethod(rawValue: line.getString(at: base, length: methodLength) ?? "")
        uri = line.getString(at: base + target.lowerBound, length: target.count) ?? ""
        version = HTTPVersion(major: major, minor: minor)
        state = .fields
    }

    /// Methods are tokens (RFC 9110 §9.1), but like nginx only upper-case letters, `-` and `_` are
    /// taken: a method like `okGET` is what the tail of a body an earlier parser did not count
    /// looks like, glued to the next request.
    private static func isMethodByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// The head is complete: decides how its body is framed and hands it out.
    mutating func headComplete() throws -> Event {
        let (headers, framingFields) = self.fields.finish()
        let head = HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)
        let fields = try framingFields.get()
        let framing: HTTPBodyReader.Framing
        if fields.transferCoded {
            // §6.3: a request whose transfer coding is not chunked last has no knowable end;
            // from an HTTP/1.0 client a transfer coding is faulty framing (§6.1).
            guard fields.chunkedLast, version.major == 1, version.minor >= 1 else {
                throw HTTPSyntaxError("Transfer-Encoding of a request must end in chunked (HTTP/1.1)")
            }
            framing = .chunked
        } else {
            framing = .length(fields.length ?? 0)
        }
        body.start(framing, maxTrailerBytes: maxHeadBytes)
        state = .body
        return .head(head)
    }
}
