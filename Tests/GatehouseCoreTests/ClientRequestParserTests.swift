// ClientRequestParserTests: a client's requests read off its bytes, whole, split at every byte, and pipelined.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct ClientRequestParserTests {
    /// One request as read: its head, its body bytes, and whether it ended.
    struct Request: Equatable {
        var head: HTTPRequestHead
        var body = ""
        var ended = false
    }

    /// Everything `wire` makes, fed in pieces that start at `cuts`; a refusal ends the list.
    static func read(_ wire: String, cuts: [Int] = [], maxHeadBytes: Int = 8192) -> (requests: [Request], refusal: HTTPSyntaxError?) {
        var parser = ClientRequestParser(maxHeadBytes: maxHeadBytes)
        var requests: [Request] = []
        let bytes = Array(wire.utf8)
        let bounds = [0] + cuts + [bytes.count]
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            var buffer = ByteBuffer(bytes: bytes[start..<end])
            do {
                while let event = try parser.next(&buffer) {
                    switch event {
                    case .head(let head):
                        #expect(requests.last?.ended ?? true, "a head only after the request before ended")
                        requests.append(Request(head: head))
                    case .body(let part):
                        #expect(part.readableBytes > 0, "no empty parts")
                        requests[requests.count - 1].body += String(buffer: part)
                    case .end:
                        requests[requests.count - 1].ended = true
                    }
                }
            } catch let error as HTTPSyntaxError {
                return (requests, error)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        return (requests, nil)
    }

    /// `read`, and the same result with the bytes cut in two anywhere and one at a time.
    static func readEverySplit(_ wire: String, maxHeadBytes: Int = 8192) -> (requests: [Request], refusal: HTTPSyntaxError?) {
        let whole = read(wire, maxHeadBytes: maxHeadBytes)
        let count = wire.utf8.count
        for cut in 1..<max(count, 1) {
            let split = read(wire, cuts: [cut], maxHeadBytes: maxHeadBytes)
            #expect(split.requests == whole.requests && split.refusal == whole.refusal, "cut at \(cut)")
        }
        let bytewise = read(wire, cuts: Array(1..<max(count, 1)), maxHeadBytes: maxHeadBytes)
        #expect(bytewise.requests == whole.requests && bytewise.refusal == whole.refusal, "bytewise")
        return whole
    }

    @Test func getWithoutBody() throws {
        let (requests, refusal) = Self.readEverySplit("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept:  */* \r\n\r\n")
        #expect(refusal == nil)
        let request = try #require(requests.first)
        #expect(request.head.method == .GET)
        #expect(request.head.uri == "/a?b=c")
        #expect(request.head.version == .http1_1)
        #expect(request.head.headers.map { "\($0.name)=\($0.value)" } == ["Host=example.com", "Accept=*/*"])
        #expect(request.ended && request.body.isEmpty)
        #expect(request.head.isKeepAlive)
    }

    @Test func lengthAndChunkedBodies() {
        let wire = "POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            + "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
        let (requests, refusal) = Self.readEverySplit(wire)
        #expect(refusal == nil)
        #expect(requests.map(\.body) == ["hello", "abcde"])
        #expect(requests.map(\.head.method) == [.POST, .PUT])
        #expect(requests.allSatisfy { $0.ended })
    }

    @Test func pipelinedRequestsAndLeadingEmptyLines() {
        let wire = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /2 HTTP/1.0\r\n\r\nDELETE /3 HTTP/1.1\r\nHost: h\r\n\r\n"
        let (requests, refusal) = Self.readEverySplit(wire)
        #expect(refusal == nil)
        #expect(requests.map(\.head.uri) == ["/1", "/2", "/3"])
        #expect(requests[1].head.version == .http1_0)
        #expect(requests[1].head.isKeepAlive == false)
        #expect(requests.allSatisfy { $0.ended })
    }

    @Test func unknownMethodsAndOtherTargetForms() {
        let (requests, refusal) = Self.read(
            "VERSION-CONTROL /v HTTP/1.1\r\nHost: h\r\n\r\nPURGE http://h/x HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\nGET /%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n"
        )
        #expect(refusal == nil)
        #expect(requests.map(\.head.method) == [.RAW(value: "VERSION-CONTROL"), .PURGE, .OPTIONS, .GET])
        #expect(requests.map(\.head.uri) == ["/v", "http://h/x", "*", "/%C3%A9"])
    }

    @Test func malformedRequestsAreRefusedAndNothingAfterIsRead() {
        for wire in [
            "GET /\r\n\r\n",
            "GET / HTTP/1.1\nHost: h\n\n",
            "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
            "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1 \r\n\r\n",
            "GET / HTTP/1\r\n\r\n",
            "GET / http/1.1\r\n\r\n",
            "G@T / HTTP/1.1\r\n\r\n",
            "okGET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "get / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /a b HTTP/1.1\r\n\r\n",
            "GET /a\u{7F} HTTP/1.1\r\n\r\n",
            "GET /é HTTP/1.1\r\nHost: h\r\n\r\n",
            " GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\rx\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\u{0}\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\ncontent-LENGTH: 1\r\nTRANSFER-encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
        ] {
            let (requests, refusal) = Self.readEverySplit(wire + "GET /after HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(refusal != nil && refusal?.isTooLarge == false, "\(wire.debugDescription)")
            #expect(!requests.contains { $0.head.uri == "/after" }, "nothing after a refusal: \(wire.debugDescription)")
        }
    }

    @Test func headsAreBoundedAndTooLargeIsItsOwnRefusal() {
        let fields = (0..<40).map { "X-\($0): value\r\n" }.joined()
        let wire = "GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n"
        #expect(Self.read(wire, maxHeadBytes: 1024).refusal == nil)
        let refusal = Self.read(wire, maxHeadBytes: 256).refusal
        #expect(refusal?.isTooLarge == true)
        // One long line that never ends is refused as soon as it passes the limit.
        var parser = ClientRequestParser(maxHeadBytes: 256)
        var buffer = ByteBuffer(string: "GET /" + String(repeating: "a", count: 300))
        #expect(throws: HTTPSyntaxError.self) { _ = try parser.next(&buffer) }
        // The limit is per request: a connection may send many heads of nearly the limit.
        let nearLimit = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 180) + "\r\n\r\n"
        #expect(Self.read(String(repeating: nearLimit, count: 5), maxHeadBytes: 256).requests.count == 5)
        // A chunk-size line past its limit is a bad chunk (400), not a large head (431).
        let longExtension = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000)
        #expect(Self.read(longExtension).refusal == HTTPSyntaxError("chunk size line too long"))
    }

    /// Leading zeros pad a chunk size without making it larger (nginx reads them so): 0x5
    /// written with 20 digits is 5 bytes, where 16 digits or more were refused as too large.
    /// A size past 15 significant digits is still refused.
    @Test func zerosPaddingAChunkSizeDoNotCount() {
        let padded = String(repeating: "0", count: 19) + "5"
        let (requests, refusal) = Self.readEverySplit(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\(padded)\r\nhello\r\n"
                + String(repeating: "0", count: 30) + "\r\n\r\n"
        )
        #expect(refusal == nil)
        #expect(requests.first?.body == "hello")
        #expect(requests.first?.ended == true)
        let huge = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n00" + String(repeating: "f", count: 16) + "\r\n"
        #expect(Self.read(huge).refusal == HTTPSyntaxError("chunk size too large"))
    }

    @Test func insideRequestTellsAnEndOfInputThatCutsARequest() throws {
        var parser = ClientRequestParser(maxHeadBytes: 1024)
        #expect(!parser.isInsideRequest)
        var head = ByteBuffer(string: "POST / HTTP/1.1\r\nContent-Le")
        #expect(try parser.next(&head) == nil)
        #expect(parser.isInsideRequest)
        var rest = ByteBuffer(string: "ngth: 2\r\n\r\nab")
        var events: [ClientRequestParser.Event] = []
        while let event = try parser.next(&rest) {
            events.append(event)
        }
        #expect(events.count == 3)
        #expect(!parser.isInsideRequest)
        var empty = ByteBuffer()
        #expect(try parser.next(&empty) == nil)
        #expect(!parser.isInsideRequest, "reading nothing starts no line")
        var blank = ByteBuffer(string: "\r\n")
        #expect(try parser.next(&blank) == nil)
        #expect(!parser.isInsideRequest, "an empty line between requests is not a request")
    }

    /// Where a string's bytes live (heap strings only: small ones are inline and have no storage).
    static func storage(of text: String) -> UnsafeRawPointer? {
        text.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    /// A keep-alive client's repeated fields reuse the previous head's strings; changed ones do not,
    /// and a head too large to keep leaves nothing to reuse.
    @Test func repeatedFieldsReuseThePreviousHeadsStrings() throws {
        let agent = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"
        func head(_ cookie: String, padding: Int = 0) -> String {
            "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: \(agent)\r\nCookie: \(cookie)\r\n"
                + (padding > 0 ? "X-Padding: \(String(repeating: "p", count: padding))\r\n" : "") + "\r\n"
        }
        let first = "session=0123456789abcdef0123456789abcdef"
        let second = "session=fedcba9876543210fedcba9876543210"
        let wire = head(first) + head(first) + head(second) + head(second, padding: HTTPFieldCollector.maxKeptBytes) + head(second)
        let (requests, refusal) = Self.read(wire)
        #expect(refusal == nil)
        try #require(requests.count == 5)
        func field(_ index: Int, _ name: String) throws -> String {
            try #require(requests[index].head.headers.first(name: name))
        }
        #expect(try field(0, "user-agent") == agent && field(2, "cookie") == second && field(4, "cookie") == second)
        // The same bytes: the same string storage, no new allocation.
        #expect(try Self.storage(of: field(1, "user-agent")) == Self.storage(of: field(0, "user-agent")))
        #expect(try Self.storage(of: field(1, "cookie")) == Self.storage(of: field(0, "cookie")))
        #expect(try Self.storage(of: field(2, "user-agent")) == Self.storage(of: field(0, "user-agent")))
        // Changed bytes: a string of their own.
        #expect(try Self.storage(of: field(2, "cookie")) != Self.storage(of: field(1, "cookie")))
        // After a head over the bound, nothing was kept to reuse.
        #expect(try Self.storage(of: field(4, "user-agent")) != Self.storage(of: field(3, "user-agent")))
    }
}
