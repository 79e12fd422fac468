// CacheRangeTests: `Range` values parsed and resolved (RFC 9110 §14), and what a stored entry answers to them.
import GatehouseCore
import GatehouseTesting
import NIOCore
import NIOHTTP1
import Testing

@Suite struct ByteRangeRequestTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var value: String
        /// Nil: the field is ignored.
        var parsed: ByteRangeRequest?
        var testDescription: String { value }
    }

    static let rows: [Row] = [
        Row(value: "bytes=0-9", parsed: .from(first: 0, last: 9)),
        Row(value: "bytes=5-", parsed: .from(first: 5, last: nil)),
        Row(value: "bytes=-20", parsed: .suffix(length: 20)),
        Row(value: "BYTES=7-7", parsed: .from(first: 7, last: 7)),
        Row(value: "bytes= 1-2 ,", parsed: .from(first: 1, last: 2)),
        Row(value: "bytes=99999999999999999999999-", parsed: .from(first: Int.max, last: nil)),
        Row(value: "bytes=5-2", parsed: nil),
        Row(value: "bytes=0-1,5-9", parsed: nil),
        Row(value: "bytes=x-1", parsed: nil),
        Row(value: "bytes=1-y", parsed: nil),
        Row(value: "bytes=-", parsed: nil),
        Row(value: "bytes=", parsed: nil),
        Row(value: "bytes=1", parsed: nil),
        Row(value: "bytes = 0-1", parsed: nil),
        Row(value: "items=0-1", parsed: nil),
        Row(value: "", parsed: nil),
    ]

    @Test(arguments: rows)
    func parses(_ row: Row) {
        #expect(ByteRangeRequest(parsing: row.value) == row.parsed)
    }

    @Test func resolvesAgainstTheLength() {
        #expect(ByteRangeRequest.from(first: 0, last: 9).resolve(length: 100) == 0..<10)
        #expect(ByteRangeRequest.from(first: 90, last: 200).resolve(length: 100) == 90..<100, "a last position past the end is clamped")
        #expect(ByteRangeRequest.from(first: 99, last: nil).resolve(length: 100) == 99..<100)
        #expect(ByteRangeRequest.from(first: 100, last: nil).resolve(length: 100) == nil, "a first position at the end selects nothing")
        #expect(ByteRangeRequest.from(first: Int.max, last: nil).resolve(length: 100) == nil)
        #expect(ByteRangeRequest.suffix(length: 10).resolve(length: 100) == 90..<100)
        #expect(ByteRangeRequest.suffix(length: 500).resolve(length: 100) == 0..<100, "a suffix longer than the body is all of it")
        #expect(ByteRangeRequest.suffix(length: 0).resolve(length: 100) == nil)
        #expect(ByteRangeRequest.suffix(length: 5).resolve(length: 0) == nil, "an empty body has no bytes to give")
        #expect(ByteRangeRequest.from(first: 0, last: nil).resolve(length: 0) == nil)
    }
}

@Suite struct CacheRangeAnswerTests {
    static let lastModified = "Tue, 03 Nov 2026 10:00:00 GMT"
    static let entry = CacheFixtures.entry(
        String(repeating: "0123456789", count: 10),
        headers: [("ETag", "\"v1\""), ("Last-Modified", lastModified), ("Content-Length", "100")]
    )

    static func answer(_ fields: [(String, String)], entry: CacheEntry = entry) -> CacheRangeAnswer {
        CacheFixtures.policy.rangeAnswer(for: entry, requestHeaders: HTTPHeaders(fields))
    }

    @Test func slicesOneRange() {
        #expect(Self.answer([("Range", "bytes=10-19")]) == .partial(10..<20))
        #expect(Self.answer([("Range", "bytes=-1")]) == .partial(99..<100))
        #expect(Self.answer([("Range", "bytes=100-")]) == .unsatisfiable)
    }

    @Test func answersWholeWhenTheRangeIsNotOneItSlices() {
        #expect(Self.answer([]) == .whole)
        #expect(Self.answer([("Range", "bytes=0-1,3-4")]) == .whole, "several ranges get the whole response")
        #expect(Self.answer([("Range", "bytes=9-1")]) == .whole, "an invalid range is ignored")
        #expect(Self.answer([("Range", "bytes=0-1"), ("Range", "bytes=3-4")]) == .whole)
        var notFound = Self.entry
        notFound.status = .notFound
        #expect(Self.answer([("Range", "bytes=0-1")], entry: notFound) == .whole, "only a 200 is sliced")
        let refusing = CacheFixtures.entry("abcdef", headers: [("Accept-Ranges", "None")])
        #expect(Self.answer([("Range", "bytes=0-1")], entry: refusing) == .whole, "the origin serves no ranges")
        let accepting = CacheFixtures.entry("abcdef", headers: [("Accept-Ranges", "bytes")])
        #expect(Self.answer([("Range", "bytes=0-1")], entry: accepting) == .partial(0..<2))
    }

    @Test func ifRangeNeedsAStrongMatchOrTheExactDate() {
        #expect(Self.answer([("Range", "bytes=0-1"), ("If-Range", "\"v1\"")]) == .partial(0..<2))
        #expect(Self.answer([("Range", "bytes=0-1"), ("If-Range", "\"v2\"")]) == .whole)
        #expect(Self.answer([("Range", "bytes=0-1"), ("If-Range", "W/\"v1\"")]) == .whole, "a weak tag never matches")
        #expect(Self.answer([("Range", "bytes=0-1"), ("If-Range", Self.lastModified)]) == .partial(0..<2))
        #expect(Self.answer([("Range", "bytes=0-1"), ("If-Range", "Tue, 03 Nov 2026 10:00:01 GMT")]) == .whole)
        #expect(Self.answer([("Range", "bytes=0-1"), ("If-Range", "not a date")]) == .whole)
        let weak = CacheFixtures.entry("abc", headers: [("ETag", "W/\"v1\"")])
        #expect(Self.answer([("Range", "bytes=0-1"), ("If-Range", "W/\"v1\"")], entry: weak) == .whole)
        #expect(Self.answer([("Range", "bytes=0-1")], entry: weak) == .partial(0..<2), "without If-Range a weak tag does not matter")
    }

    @Test func partialFieldsStateThePartAndTheWhole() {
        let headers = Self.entry.partialHeaders(10..<20, at: CacheFixtures.t0)
        #expect(headers["content-length"] == ["10"])
        #expect(headers["content-range"] == ["bytes 10-19/100"])
        #expect(headers["etag"] == ["\"v1\""])
        #expect(headers["age"] == ["0"])
        #expect(Self.entry.unsatisfiedRange == "bytes */100")
    }
}
