// ResponseHeadRewriterTests: the origin's fields as the client gets them, its length read out to be restated.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct ResponseHeadRewriterTests {
    /// The fields written for `fields`, and what `writeFields` returned.
    static func rewrite(_ fields: [(String, String)]) -> (written: String, hasDate: Bool, contentLength: Int?) {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: HTTPHeaders(fields))
        var buffer = ByteBuffer()
        let result = ResponseHeadRewriter.writeFields(of: head, requestID: "req-1", into: &buffer)
        return (String(buffer: buffer), result.hasDate, result.contentLength)
    }

    /// `Connection: Content-Length` made the length hop-by-hop: it was dropped and nothing said
    /// how the body was framed. The length is never copied now, but always read out, whatever
    /// `Connection` names, for the encoder to restate with the framing it uses.
    @Test func theLengthIsReadOutNotCopied() {
        let named = Self.rewrite([("Connection", "Content-Length"), ("Content-Length", "5"), ("Content-Type", "text/plain")])
        #expect(named.written == "Content-Type: text/plain\r\nVia: 1.1 gatehouse\r\nX-Request-Id: req-1\r\n")
        #expect(named.contentLength == 5)
        #expect(!named.hasDate)
        #expect(Self.rewrite([("content-length", "0"), ("Date", "x")]) == ("Date: x\r\nVia: 1.1 gatehouse\r\nX-Request-Id: req-1\r\n", true, 0))
        #expect(Self.rewrite([("Content-Type", "text/plain")]).contentLength == nil)
    }

    /// RFC 9110 §8.6: a list of one repeated length, or several fields of it, is one length.
    /// Invalid or conflicting ones (only where there is no body: the parser refuses them
    /// elsewhere) state none.
    @Test func aRepeatedLengthIsOneAndABadOneNone() {
        #expect(Self.rewrite([("Content-Length", "5, 5")]).contentLength == 5)
        #expect(Self.rewrite([("Content-Length", "5"), ("Content-Length", "5")]).contentLength == 5)
        #expect(Self.rewrite([("Content-Length", "5"), ("Content-Length", "6")]).contentLength == nil)
        #expect(Self.rewrite([("Content-Length", "6"), ("Content-Length", "x"), ("Content-Length", "6")]).contentLength == nil)
    }
}
