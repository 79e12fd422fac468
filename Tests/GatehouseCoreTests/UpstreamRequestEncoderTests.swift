// UpstreamRequestEncoderTests: the bytes Gatehouse sends an origin, and the upstream head they are made from.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct UpstreamRequestEncoderTests {
    static let context = ForwardingContext(peerAddress: "203.0.113.9", peerIsTrusted: false, requestID: "req-1")

    /// The wire form of `head` with `body` sent in `parts` pieces.
    static func wire(_ head: HTTPRequestHead, body parts: [String] = []) -> String {
        let (mismatch, wire, next) = encode(head, body: parts)
        #expect(mismatch == nil)
        #expect(!next.chunked, "the next request starts unchunked")
        return wire
    }

    /// Writes `head`, then `parts` and the end while the encoder takes them: the mismatch it
    /// refuses, if any, the bytes written (up to it), and the encoder after.
    static func encode(
        _ head: HTTPRequestHead, body parts: [String]
    ) -> (mismatch: RequestFramingMismatch?, wire: String, next: UpstreamRequestEncoder) {
        var encoder = UpstreamRequestEncoder()
        var wire = ByteBuffer()
        encoder.encodeHead(head, into: &wire)
        do {
            for part in parts {
                try encoder.encodeBody(ByteBuffer(string: part), allocator: ByteBufferAllocator()) { wire.writeImmutableBuffer($0) }
            }
            if let end = try encoder.encodeEnd() {
                wire.writeImmutableBuffer(end)
            }
        } catch {
            return (error, String(buffer: wire), encoder)
        }
        return (nil, String(buffer: wire), encoder)
    }

    static func upstream(_ method: HTTPMethod, _ fields: [(String, String)], framing: RequestBodyFraming) -> HTTPRequestHead {
        let client = HTTPRequestHead(version: .http1_1, method: method, uri: "/p?q=1", headers: HTTPHeaders(fields))
        return RequestHeadRewriter.upstreamHead(for: client, framing: framing, context: context)
    }

    @Test func headWithoutBody() {
        let head = Self.upstream(.GET, [("Host", "h"), ("Accept", "*/*")], framing: .none)
        #expect(Self.wire(head) == "GET /p?q=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-Forwarded-For: 203.0.113.9\r\n"
            + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\nVia: 1.1 gatehouse\r\nX-Request-Id: req-1\r\n\r\n")
    }

    @Test func lengthBodyGoesAsItIs() {
        let head = Self.upstream(.PUT, [("Host", "h"), ("Content-Length", "5")], framing: .contentLength(5))
        let wire = Self.wire(head, body: ["ab", "cde"])
        #expect(wire.hasPrefix("PUT /p?q=1 HTTP/1.1\r\n"))
        #expect(wire.hasSuffix("Content-Length: 5\r\n\r\nabcde"))
    }

    @Test func chunkedBodyIsFramedPartByPart() {
        let head = Self.upstream(.POST, [("Host", "h"), ("Transfer-Encoding", "chunked")], framing: .chunked)
        let wire = Self.wire(head, body: ["ab", "", String(repeating: "x", count: 17)])
        #expect(wire.hasSuffix("Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n11\r\n\(String(repeating: "x", count: 17))\r\n0\r\n\r\n"))
    }

    /// RFC 9110 §8.6: a POST, PUT or PATCH without content says so; a GET does not.
    @Test(arguments: [HTTPMethod.POST, .PUT, .PATCH])
    func emptyBodyOfAMethodWithContentIsStated(method: HTTPMethod) {
        let head = Self.upstream(method, [("Host", "h")], framing: .none)
        #expect(head.headers["content-length"] == ["0"])
        #expect(!head.headers.contains(name: "transfer-encoding"))
    }

    @Test func headRequestLine() {
        let head = Self.upstream(.HEAD, [("Host", "h")], framing: .none)
        #expect(Self.wire(head).hasPrefix("HEAD /p?q=1 HTTP/1.1\r\n"))
        #expect(!head.headers.contains(name: "content-length"))
    }

    /// The usual forwarded request is written straight from the client's head; those bytes
    /// must be the ones the built upstream head encodes to, whatever the head holds.
    @Test(arguments: [
        (HTTPMethod.GET, "/p?q=1", [("Host", "h"), ("Accept", "*/*"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "1")], RequestBodyFraming.none, false),
        (.GET, "http://other.example:8080/abs?x", [("Host", "ignored"), ("X-Forwarded-For", "198.51.100.1"), ("Via", "1.0 front")], .none, true),
        (.POST, "/upload", [("Host", "h"), ("Transfer-Encoding", "chunked"), ("X-User", "mallory"), ("X-Request-Id", "client")], .chunked, false),
        (.PUT, "/p", [("Host", "h"), ("Content-Length", "5"), ("X-Forwarded-Proto", "https"), ("Forwarded", "for=1.2.3.4")], .contentLength(5), true),
        (.PATCH, "/p", [("Host", "h")], .none, false),
    ])
    func directHeadIsTheBuiltHeadsBytes(
        method: HTTPMethod, uri: String, fields: [(String, String)], framing: RequestBodyFraming, trusted: Bool
    ) {
        let client = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(fields))
        let context = ForwardingContext(peerAddress: "203.0.113.9", peerIsTrusted: trusted, requestID: "req-1")
        let built = RequestHeadRewriter.upstreamHead(for: client, framing: framing, context: context, droppedField: "X-User")
        var builtEncoder = UpstreamRequestEncoder()
        var builtWire = ByteBuffer()
        builtEncoder.encodeHead(built, into: &builtWire)
        var directEncoder = UpstreamRequestEncoder()
        var directWire = ByteBuffer()
        directEncoder.encodeHead(rewriting: client, framing: framing, context: context, droppedField: "X-User", into: &directWire)
        #expect(String(buffer: directWire) == String(buffer: builtWire))
        #expect(directEncoder.chunked == builtEncoder.chunked)
        #expect(directEncoder.declaredLength == builtEncoder.declaredLength)
    }

    // MARK: - A body that disagrees with its head

    /// A head that promises a body nobody sends (a background refresh of a GET that had one)
    /// would have the origin read the next request on the connection as that body.
    @Test func anEndBeforeTheDeclaredLengthIsRefused() {
        let head = Self.upstream(.GET, [("Host", "h"), ("Content-Length", "40")], framing: .contentLength(40))
        let (mismatch, _, next) = Self.encode(head, body: ["short"])
        #expect(mismatch == RequestFramingMismatch(declared: 40, written: 5))
        #expect(next.declaredLength == 0 && next.writtenLength == 0 && !next.chunked, "the next request starts afresh")
    }

    /// Bytes past the declared length would reach the origin as a request of their own.
    @Test func bodyBytesPastTheDeclaredLengthAreNotWritten() {
        let head = Self.upstream(.PUT, [("Host", "h"), ("Content-Length", "3")], framing: .contentLength(3))
        let (mismatch, wire, _) = Self.encode(head, body: ["ab", "cGET /evil HTTP/1.1\r\n\r\n"])
        #expect(mismatch == RequestFramingMismatch(declared: 3, written: 25))
        #expect(wire.hasSuffix("Content-Length: 3\r\n\r\nab"), "nothing of the refused part is written")
    }

    /// A head without framing fields declares no body: any body part is refused.
    @Test func aBodyAfterAHeadWithoutFramingIsRefused() {
        let head = Self.upstream(.GET, [("Host", "h")], framing: .none)
        #expect(Self.encode(head, body: ["x"]).mismatch == RequestFramingMismatch(declared: 0, written: 1))
        #expect(Self.encode(head, body: []).mismatch == nil)
    }

    /// The head written straight from the client's is held to its framing too.
    @Test func aDirectlyWrittenHeadIsHeldToItsFraming() {
        let client = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/p", headers: ["Host": "h", "Content-Length": "4"])
        var encoder = UpstreamRequestEncoder()
        var wire = ByteBuffer()
        encoder.encodeHead(rewriting: client, framing: .contentLength(4), context: Self.context, droppedField: nil, into: &wire)
        #expect(throws: RequestFramingMismatch(declared: 4, written: 0)) { _ = try encoder.encodeEnd() }
        encoder.encodeHead(rewriting: client, framing: .contentLength(4), context: Self.context, droppedField: nil, into: &wire)
        #expect(throws: Never.self) {
            try encoder.encodeBody(ByteBuffer(string: "abcd"), allocator: ByteBufferAllocator()) { _ in }
            _ = try encoder.encodeEnd()
        }
    }
}
