// UpstreamResponseParser+Head: the status line, and how a response's body is framed (RFC 9112 §4, §6.3).
import NIOCore
import NIOHTTP1

extension UpstreamResponseParser {
    /// `HTTP/1.x SP 3DIGIT [SP reason-phrase]`. The reason phrase is not kept: clients get the
    /// standard one, as they did from NIO's decoder.
    mutating func parseStatusLine(_ line: ByteBuffer) throws {
        let (minor, code) = try line.withUnsafeReadableBytes { bytes -> (Int, Int) in
            guard bytes.count >= 12, bytes.starts(with: "HTTP/1.".utf8), bytes[8] == UInt8(ascii: " ") else {
                throw HTTPSyntaxError("invalid status line")
            }
            guard let minor = HTTPByteClass.digit(bytes[7]),
                  let hundreds = HTTPByteClass.digit(bytes[9]), let tens = HTTPByteClass.digit(bytes[10]), let ones = HTTPByteClass.digit(bytes[11]),
                  hundreds >= 1
            else {
                throw HTTPSyntaxError("invalid status line")
            }
            if bytes.count > 12 {
                guard bytes[12] == UInt8(ascii: " "), !bytes[13...].contains(where: HTTPByteClass.isControl) else {
                    throw HTTPSyntaxError("invalid reason phrase")
                }
            }
            return (minor, hundreds * 100 + tens * 10 + ones)
        }
        version = HTTPVersion(major: 1, minor: minor)
        statusCode = code
        if (100..<200).contains(code) {
            // Gatehouse never asks an origin to switch protocols (Upgrade is hop-by-hop).
            guard code != 101 else { throw HTTPSyntaxError("101 Switching Protocols without an upgrade request") }
            state = .informationalFields
        } else {
            state = .fields
        }
    }

    /// The head is complete: decides how its body is framed and hands it out.
    mutating func headComplete() throws -> Event {
        keepAliveTimeout = fields.keepAliveTimeout  // `finish` starts the collector over
        let (headers, framingFields) = fields.finish()
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: statusCode), headers: headers)
        body.start(try bodyFraming(framingFields), maxTrailerBytes: maxHeadBytes)
        state = .body
        return .head(head)
    }

    /// RFC 9112 §6.3, in its order.
    private mutating func bodyFraming(_ framingFields: Result<HTTPBodyReader.FramingFields, HTTPSyntaxError>) throws -> HTTPBodyReader.Framing {
        if statusCode == 204 {
            // A 204 has no content and must not declare any (RFC 9110 §8.6, §15.3.5). One that
            // does may send it after all, in a later read than this head, where it would be
            // taken for the next request's response: that connection is not reused.
            if HTTPBodyReader.FramingFields.declareContent(framingFields) {
                framingAllowsReuse = false
            }
            return .length(0)
        }
        if requestIsHEAD || statusCode == 304 {
            // Here a length is legitimate: it is the length a GET, or a 200, would have had
            // (§8.6). Nothing follows, so the connection is reused, as nginx reuses it: a server
            // that sent a body anyway, later than this head, would have it read as the next
            // response, but closing after every HEAD or revalidation would cost every origin
            // that states its lengths correctly.
            return .length(0)
        }
        let fields = try framingFields.get()
        if fields.transferCoded {
            // A recipient may take a transfer coding off only by decoding it (RFC 9112 §6.1),
            // and Transfer-Encoding is hop-by-hop: gzip, or anything but chunked alone, would
            // reach the client as content stripped of its coding. From an HTTP/1.0 server even
            // chunked is faulty framing (§6.1). Refused (502), as nginx refuses unknown codings.
            guard fields.chunkedOnly, version.minor >= 1 else {
                throw HTTPSyntaxError("Transfer-Encoding other than chunked alone, or from an HTTP/1.0 server")
            }
            return .chunked
        }
        return fields.length.map { .length($0) } ?? .untilClose
    }
}
