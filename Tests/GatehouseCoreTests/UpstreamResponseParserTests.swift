// UpstreamResponseParserTests: framing of origin responses read off their bytes, whole and split at every byte.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct UpstreamResponseParserTests {
    /// What a response parsed into.
    struct Parsed: Equatable {
        var head: HTTPResponseHead?
        var body = ""
        var ended = false
        /// Bytes left unread after `.end`.
        var leftover = 0
        /// `framingAllowsReuse` once parsed.
        var reusable = true
    }

    /// Parses `wire` fed in pieces cut at `cuts` (offsets), then a close when `closed`.
    static func parse(_ wire: String, toHEAD: Bool = false, cuts: [Int] = [], closed: Bool = false) throws -> Parsed {
        var parser = UpstreamResponseParser()
        parser.expectResponse(toHEAD: toHEAD)
        var parsed = Parsed()
        let bytes = Array(wire.utf8)
        let bounds = [0] + cuts + [bytes.count]
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            var buffer = ByteBuffer(bytes: bytes[start..<end])
            while !parsed.ended, let event = try parser.next(&buffer) {
                parsed.record(event)
            }
            parsed.leftover += parsed.ended ? buffer.readableBytes : 0
        }
        if closed, !parsed.ended, let event = parser.connectionClosed() {
            parsed.record(event)
        }
        parsed.reusable = parser.framingAllowsReuse
        return parsed
    }

    /// Parses `wire` whole, then cut in two at every offset and in single bytes: all the same.
    static func parseEverySplit(_ wire: String, toHEAD: Bool = false, closed: Bool = false) throws -> Parsed {
        let whole = try parse(wire, toHEAD: toHEAD, closed: closed)
        let count = wire.utf8.count
        for cut in 1..<max(count, 1) {
            #expect(try parse(wire, toHEAD: toHEAD, cuts: [cut], closed: closed) == whole, "cut at \(cut)")
        }
        #expect(try parse(wire, toHEAD: toHEAD, cuts: Array(1..<max(count, 1)), closed: closed) == whole, "bytewise")
        return whole
    }

    static func expectMalformed(_ wire: String, toHEAD: Bool = false, _ comment: Comment? = nil) {
        #expect(throws: HTTPSyntaxError.self, comment) { _ = try parse(wire, toHEAD: toHEAD) }
    }

    @Test func lengthDelimited() throws {
        let parsed = try Self.parseEverySplit("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        #expect(parsed.head?.status == .ok)
        #expect(parsed.head?.version == .http1_1)
        #expect(parsed.head?.headers["Content-Type"] == ["text/plain"])
        #expect(parsed.head?.isKeepAlive == true)
        #expect(parsed.body == "hello")
        #expect(parsed.ended)
    }

    @Test func fieldsKeepOrderCaseAndRepeats() throws {
        let parsed = try Self.parseEverySplit(
            "HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nx-lower:  spaced value \t\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n"
        )
        let fields = parsed.head.map { Array($0.headers.map { "\($0.name)=\($0.value)" }) }
        #expect(fields == ["Set-Cookie=a=1", "x-lower=spaced value", "Set-Cookie=b=2", "Content-Length=0"])
        #expect(parsed.head?.status == .created)
        #expect(parsed.ended && parsed.body.isEmpty)
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n"
        let parsed = try Self.parseEverySplit(wire)
        #expect(parsed.body == "helloabcdefghijklmnopqrstuvwxyz")
        #expect(parsed.ended && parsed.leftover == 0)
        #expect(parsed.head?.headers["X-Trailer"] == [], "trailers are dropped")
    }

    @Test func bareLFEndsLines() throws {
        let parsed = try Self.parseEverySplit("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
        #expect(parsed.body == "ok" && parsed.ended)
    }

    @Test func statusLineWithoutReasonPhrase() throws {
        #expect(try Self.parseEverySplit("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").head?.status == .notFound)
        #expect(try Self.parseEverySplit("HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n").head?.status.code == 299)
    }

    @Test func noBodyForHEADOr204Or304WhateverTheLength() throws {
        for (wire, toHEAD) in [
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true),
            ("HTTP/1.1 204 No Content\r\n\r\n", false),
            ("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false),
            // Framing fields are not consulted at all where there is no body, even conflicting ones.
            ("HTTP/1.1 304 Not Modified\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false),
        ] {
            let parsed = try Self.parseEverySplit(wire, toHEAD: toHEAD)
            #expect(parsed.ended && parsed.body.isEmpty, "\(wire)")
        }
    }

    @Test func informationalResponsesAreSkipped() throws {
        let wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"
        let parsed = try Self.parseEverySplit(wire)
        #expect(parsed.head?.status == .ok)
        #expect(parsed.head?.headers["Link"] == [], "fields of a 1xx are not the final response's")
        #expect(parsed.body == "x")
    }

    /// A `100 Continue` is noted once, whatever else informational comes with it.
    @Test func aContinueIsNotedOnce() throws {
        var parser = UpstreamResponseParser()
        parser.expectResponse(toHEAD: false)
        var early = ByteBuffer(string: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n")
        let nothingYet = try parser.next(&early)
        #expect(nothingYet == nil)
        let continuedEarly = parser.takeContinue()
        #expect(!continuedEarly)
        var buffer = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        guard case .head(let head) = try parser.next(&buffer) else {
            Issue.record("the final head follows the 100")
            return
        }
        #expect(head.status == .ok)
        let continued = parser.takeContinue()
        let continuedTwice = parser.takeContinue()
        #expect(continued && !continuedTwice)
    }

    @Test func withoutLengthTheBodyEndsAtClose() throws {
        let parsed = try Self.parseEverySplit("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", closed: true)
        #expect(parsed.body == "until the end" && parsed.ended)
        let open = try Self.parse("HTTP/1.1 200 OK\r\n\r\nsome")
        #expect(open.body == "some" && !open.ended, "no end before the close")
    }

    /// These used to be read until the close and relayed with Transfer-Encoding dropped as
    /// hop-by-hop: the client got the body still coded (gzip bytes, or chunk framing from an
    /// HTTP/1.0 server) as if it were the content. A proxy can take a coding off only by decoding
    /// it (RFC 9112 §6.1), and Gatehouse decodes chunked alone: the rest is refused (502).
    @Test func codingsOtherThanChunkedAloneAreRefused() throws {
        for wire in [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nzz",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\nzz",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
        ] {
            Self.expectMalformed(wire, "\(wire)")
        }
        for wire in [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked ,\r\n\r\n2\r\nzz\r\n0\r\n\r\n",
        ] {
            let parsed = try Self.parseEverySplit(wire)
            #expect(parsed.body == "zz" && parsed.ended && parsed.reusable, "chunked alone, in any case: \(wire)")
        }
    }

    /// A 204 or 1xx declaring content it must not have (RFC 9110 §8.6, §15.3.5) may send it
    /// later, where it would be read as the next response: its connection is not reused. A
    /// length on a response to HEAD or on a 304 is the one a GET or 200 would have had: reused.
    @Test func onlyA204Or1xxDeclaringContentEndsTheConnection() throws {
        for (wire, toHEAD, reusable) in [
            ("HTTP/1.1 204 No Content\r\nContent-Length: 64\r\n\r\n", false, false),
            ("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", false, false),
            ("HTTP/1.1 204 No Content\r\nContent-Length: 64\r\n\r\n", true, false),
            ("HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n", false, false),
            ("HTTP/1.1 103 Early Hints\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false, false),
            ("HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false, false),
            ("HTTP/1.1 204 No Content\r\n\r\n", false, true),
            ("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false, true),
            ("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false, true),
            ("HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n", true, true),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", true, true),
            ("HTTP/1.1 304 Not Modified\r\nContent-Length: 64\r\n\r\n", false, true),
        ] {
            let parsed = try Self.parseEverySplit(wire, toHEAD: toHEAD)
            #expect(parsed.ended && parsed.reusable == reusable, "\(wire)")
        }
        var parser = UpstreamResponseParser()
        parser.expectResponse(toHEAD: false)
        var declaring = ByteBuffer(string: "HTTP/1.1 204 No Content\r\nContent-Length: 64\r\n\r\n")
        while try parser.next(&declaring) != nil {}
        parser.expectResponse(toHEAD: false)
        #expect(parser.framingAllowsReuse, "each exchange starts reusable")
    }

    @Test func repeatedEqualLengthsAreOneLength() throws {
        let parsed = try Self.parseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc")
        #expect(parsed.body == "abc" && parsed.ended)
    }

    @Test func bytesAfterTheResponseAreLeftUnread() throws {
        let parsed = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n")
        #expect(parsed.ended && parsed.leftover == 17)
        var parser = UpstreamResponseParser()
        var stray = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")
        #expect(throws: HTTPSyntaxError.self, "no request outstanding") { _ = try parser.next(&stray) }
    }

    @Test func http10IsNotKeptAliveUnlessItSaysSo() throws {
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").head?.isKeepAlive == false)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").head?.isKeepAlive == true)
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").head?.isKeepAlive == false)
    }

    @Test func malformedResponsesAreRefused() {
        for wire in [
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 099 Nope\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1  200 OK\r\n\r\n",
            "HTTP/1.1 200 O\u{1}K\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
            "HTTP/1.1 200 OK\r\n: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
            "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
            "HTTP/1.1 200 OK\r\nA: b\u{0}c\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
            "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nxx",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\u{1}\r\nab\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n",
        ] {
            Self.expectMalformed(wire, "\(wire.debugDescription)")
        }
    }

    @Test func headsAndLinesAreBounded() throws {
        let big = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 200) + "\r\n\r\n"
        var parser = UpstreamResponseParser(maxHeadBytes: 128)
        parser.expectResponse(toHEAD: false)
        var buffer = ByteBuffer(string: big)
        #expect(throws: HTTPSyntaxError.self) { _ = try parser.next(&buffer) }
        // Across reads, with no line end in sight, too.
        parser.expectResponse(toHEAD: false)
        var first = ByteBuffer(string: String(big.prefix(100)))
        #expect(try parser.next(&first) == nil)
        var second = ByteBuffer(string: String(repeating: "a", count: 100))
        #expect(throws: HTTPSyntaxError.self) { _ = try parser.next(&second) }
        let longExtension = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000) + "\r\n"
        Self.expectMalformed(longExtension)
    }

    /// The `keepAliveTimeout` `parser` notes from `wire`, one whole response (or 1xx heads and one).
    static func announcedTimeout(_ wire: String, on parser: inout UpstreamResponseParser) throws -> Int64? {
        parser.expectResponse(toHEAD: false)
        var buffer = ByteBuffer(string: wire)
        while try parser.next(&buffer) != nil {}
        return parser.keepAliveTimeout
    }

    /// The idle timeout an origin announces (`Keep-Alive: timeout=N`, as Node.js and Apache send
    /// it) is known with the head, whatever else the field holds; the smallest when repeated.
    @Test func theAnnouncedKeepAliveTimeoutIsNoted() throws {
        func announced(_ fields: String) throws -> Int64? {
            var parser = UpstreamResponseParser()
            return try Self.announcedTimeout("HTTP/1.1 200 OK\r\n\(fields)Content-Length: 0\r\n\r\n", on: &parser)
        }
        #expect(try announced("Keep-Alive: timeout=5\r\n") == 5)
        #expect(try announced("keep-alive: max=100, Timeout=\"7\"\r\n") == 7)
        #expect(try announced("Keep-Alive: timeout=5, max=1000\r\nKeep-Alive: timeout=3\r\n") == 3)
        #expect(try announced("Keep-Alive: timeout=0\r\n") == 0)
        #expect(try announced("Keep-Alive: timeout=99999999999999999999\r\n") == CacheControl.deltaSecondsLimit)
        for none in ["", "Keep-Alive: timeout=soon\r\n", "Keep-Alive: max=5\r\n", "Keep-Alive: timeout\r\n", "X-Keep-Alive: timeout=5\r\n"] {
            #expect(try announced(none) == nil, "\(none)")
        }
    }

    /// An announcement holds for its own response only: not the 1xx's, not the previous one's.
    @Test func aKeepAliveTimeoutIsTheFinalResponsesOwn() throws {
        var parser = UpstreamResponseParser()
        let afterContinue = "HTTP/1.1 100 Continue\r\nKeep-Alive: timeout=1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        #expect(try Self.announcedTimeout(afterContinue, on: &parser) == nil)
        #expect(try Self.announcedTimeout("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n", on: &parser) == 5)
        #expect(try Self.announcedTimeout("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", on: &parser) == nil)
    }

    @Test func theParserIsReusedForTheNextResponse() throws {
        var parser = UpstreamResponseParser()
        for body in ["one", "second"] {
            parser.expectResponse(toHEAD: false)
            var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            var events: [UpstreamResponseParser.Event] = []
            while let event = try parser.next(&buffer) {
                events.append(event)
            }
            #expect(events.count == 3)
            #expect(events.last == .end(nil))
            #expect(events.dropFirst().first == .body(ByteBuffer(string: body)))
            #expect(!parser.isReadingResponse)
        }
    }

    @Test func contentLengthValues() {
        #expect(HTTPBodyReader.contentLength("0") == 0)
        #expect(HTTPBodyReader.contentLength("42") == 42)
        #expect(HTTPBodyReader.contentLength("7,7 , 7") == 7)
        #expect(HTTPBodyReader.contentLength(" 7 ") == 7)
        for bad in ["", ",", "7,", ",7", "7,8", "+7", "0x10", "7 7", "1234567890123456789"] {
            #expect(HTTPBodyReader.contentLength(bad) == nil, "\(bad)")
        }
    }
}

extension UpstreamResponseParserTests.Parsed {
    mutating func record(_ event: UpstreamResponseParser.Event) {
        switch event {
        case .head(let head):
            #expect(self.head == nil, "one head")
            self.head = head
        case .body(let buffer):
            #expect(head != nil && !ended, "body after the head, before the end")
            #expect(buffer.readableBytes > 0, "no empty body parts")
            body += String(buffer: buffer)
        case .end:
            ended = true
        }
    }
}
