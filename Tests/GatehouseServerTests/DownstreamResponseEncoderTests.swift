// DownstreamResponseEncoderTests: a relayed head states the framing its body is sent in, and nothing else.

import GatehouseCore
import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseServer

@Suite struct DownstreamResponseEncoderTests {
    /// The head written for an origin's `status` and `fields` to a client speaking `version`,
    /// the framing it fixed, and whether the connection stays open.
    static func head(
        _ status: HTTPResponseStatus, _ fields: [(String, String)], version: HTTPVersion = .http1_1,
        requestIsHEAD: Bool = false, keepAlive: Bool = true
    ) -> (wire: String, framing: DownstreamResponseEncoder.Framing, keepAlive: Bool) {
        let origin = HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(fields))
        var encoder = DownstreamResponseEncoder()
        var buffer = ByteBuffer()
        encoder.beginHead(origin, version: version, requestIsHEAD: requestIsHEAD, into: &buffer)
        let written = ResponseHeadRewriter.writeFields(of: origin, requestID: "r", into: &buffer)
        let kept = encoder.endHead(&buffer, contentLength: written.contentLength, keepAlive: keepAlive)
        return (String(buffer: buffer), encoder.framing, kept)
    }

    static let own = "Via: 1.1 gatehouse\r\nX-Request-Id: r\r\n"

    @Test func theOriginsLengthIsRestatedOnce() {
        let listed = Self.head(.ok, [("Content-Length", "5, 5"), ("Connection", "Content-Length")])
        #expect(listed.wire == "HTTP/1.1 200 OK\r\n" + Self.own + "Content-Length: 5\r\n\r\n")
        #expect(listed.framing == .identity && listed.keepAlive)
        let old = Self.head(.ok, [("Content-Length", "5"), ("Connection", "Content-Length")], version: .http1_0)
        #expect(old.wire == "HTTP/1.0 200 OK\r\n" + Self.own + "Content-Length: 5\r\nConnection: keep-alive\r\n\r\n")
        #expect(old.keepAlive)
    }

    @Test func withoutALengthTheBodyIsChunkedOrEndsTheConnection() {
        let chunked = Self.head(.ok, [("Transfer-Encoding", "chunked")])
        #expect(chunked.wire == "HTTP/1.1 200 OK\r\n" + Self.own + "Transfer-Encoding: chunked\r\n\r\n")
        #expect(chunked.framing == .chunked && chunked.keepAlive)
        let old = Self.head(.ok, [], version: .http1_0)
        #expect(old.wire == "HTTP/1.0 200 OK\r\n" + Self.own + "Connection: close\r\n\r\n")
        #expect(old.framing == .identity && !old.keepAlive)
        let closing = Self.head(.ok, [("Content-Length", "2")], keepAlive: false)
        #expect(closing.wire == "HTTP/1.1 200 OK\r\n" + Self.own + "Content-Length: 2\r\nConnection: close\r\n\r\n")
        #expect(!closing.keepAlive)
    }

    /// A 204 must not state a length (RFC 9110 §8.6), whatever its origin stated; HEAD and 304
    /// pass on the length a GET or 200 would have had. None of them has a body, so an HTTP/1.0
    /// client is kept alive.
    @Test func bodilessResponsesStateOnlyALengthTheyMay() {
        let noContent = Self.head(.noContent, [("Content-Length", "64")], version: .http1_0)
        #expect(noContent.wire == "HTTP/1.0 204 No Content\r\n" + Self.own + "Connection: keep-alive\r\n\r\n")
        #expect(noContent.framing == .noBody && noContent.keepAlive)
        let head = Self.head(.ok, [("Content-Length", "5, 5")], requestIsHEAD: true)
        #expect(head.wire == "HTTP/1.1 200 OK\r\n" + Self.own + "Content-Length: 5\r\n\r\n")
        #expect(head.framing == .noBody)
        let chunkedHEAD = Self.head(.ok, [("Transfer-Encoding", "chunked")], requestIsHEAD: true)
        #expect(chunkedHEAD.wire == "HTTP/1.1 200 OK\r\n" + Self.own + "\r\n")
        let notModified = Self.head(.notModified, [("Content-Length", "5")])
        #expect(notModified.wire == "HTTP/1.1 304 Not Modified\r\n" + Self.own + "Content-Length: 5\r\n\r\n")
    }
}
