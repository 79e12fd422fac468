// CacheHeaderParsingTests: HTTP dates, Cache-Control directives and entity-tags as the cache reads them.

import Testing
@testable import GatehouseCore

@Suite struct CacheHTTPDateTests {
    /// RFC 9110's example instant: Sun, 06 Nov 1994 08:49:37 GMT.
    static let example = CacheTime(secondsSince1970: 784_111_777)
    static let now2024 = CacheTime(secondsSince1970: 1_717_200_000)

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "  Sun, 06 Nov 1994 08:49:37 GMT\t",
        "sun, 06 nov 1994 08:49:37 gmt",
    ])
    func parsesTheThreeForms(_ text: String) {
        #expect(HTTPDate.parse(text, now: Self.now2024) == Self.example)
    }

    @Test(arguments: [
        "", "0", "-1", "garbage", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Xyz 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTX", "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94", "Foo, 06 Nov 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT", "Sun, 06 Nov 1994 08:49:37 GMT, x",
    ])
    func rejects(_ text: String) {
        #expect(HTTPDate.parse(text, now: Self.now2024) == nil)
    }

    @Test func acceptsLeapDaysAndLeapSeconds() {
        #expect(HTTPDate.parse("Thu, 29 Feb 2024 00:00:00 GMT", now: Self.now2024) == CacheTime(secondsSince1970: 1_709_164_800))
        #expect(HTTPDate.parse("Thu, 29 Feb 2023 00:00:00 GMT", now: Self.now2024) == nil)
        #expect(HTTPDate.parse("Wed, 31 Dec 2008 23:59:60 GMT", now: Self.now2024) == CacheTime(secondsSince1970: 1_230_768_000))
    }

    @Test(arguments: [
        (Int64(1_717_200_000), "Sunday, 06-Nov-94 08:49:37 GMT", Int64(784_111_777)),
        (1_717_200_000, "Tuesday, 01-Jan-30 00:00:00 GMT", 1_893_456_000),   // 2030: within 50 years ahead
        (1_717_200_000, "Monday, 01-Jan-80 00:00:00 GMT", 315_532_800),     // 2080 is too far ahead: 1980
        (631_152_000, "Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),       // from 1990, 94 is 1994
    ])
    func twoDigitYearsAreWithinFiftyYearsAhead(_ now: Int64, _ text: String, _ expected: Int64) {
        #expect(HTTPDate.parse(text, now: CacheTime(secondsSince1970: now)) == CacheTime(secondsSince1970: expected))
    }

    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(Self.example) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(CacheTime(secondsSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(CacheTime(secondsSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test func formatAndParseRoundTrip() {
        var generator = SplitMix64(state: 7)
        for _ in 0..<2000 {
            let time = CacheTime(secondsSince1970: Int64.random(in: 0...8_000_000_000, using: &generator))
            #expect(HTTPDate.parse(HTTPDate.format(time), now: Self.now2024) == time)
        }
    }
}

@Suite struct CacheControlParsingTests {
    @Test func readsDirectivesCaseInsensitively() {
        let directives = CacheControl(parsing: "Public, MAX-AGE=60 , s-maxage=\"30\", no-cache=\"Set-Cookie, X\", stale-if-error=5")
        #expect(directives.isPublic)
        #expect(directives.maxAge == 60)
        #expect(directives.sMaxAge == 30)
        #expect(directives.noCache)
        #expect(directives.staleIfError == 5)
        #expect(directives.staleWhileRevalidate == nil)
        #expect(!directives.isPrivate && !directives.noStore)
    }

    @Test func firstOccurrenceWinsAndInvalidIsStale() {
        #expect(CacheControl(parsing: "max-age=10, max-age=20").maxAge == 10)
        #expect(CacheControl(parsing: "max-age=-1").maxAge == 0)
        #expect(CacheControl(parsing: "max-age").maxAge == 0)
        #expect(CacheControl(parsing: "max-age=1.5").maxAge == 0)
        #expect(CacheControl(parsing: "stale-while-revalidate=x").staleWhileRevalidate == nil)
        #expect(CacheControl(parsing: "max-age=99999999999999999999999").maxAge == CacheControl.deltaSecondsLimit)
    }

    @Test func survivesJunk() {
        for text in ["", ",,,", "=", "=5, no-store", "\"", "max-age=\"", "max-age=\"12", "no-store junk, private", "\u{0}\u{7f}é"] {
            _ = CacheControl(parsing: text)
        }
        #expect(CacheControl(parsing: "=5, no-store").noStore)
        #expect(CacheControl(parsing: "no-store junk, private").isPrivate)
        #expect(CacheControl(parsing: "private=\"a, no-store\"").isPrivate)
        #expect(!CacheControl(parsing: "private=\"a, no-store\"").noStore)
    }

    @Test func combinesFieldLines() {
        let directives = CacheControl(headers: ["Cache-Control": "max-age=5", "cache-control": "must-revalidate"])
        #expect(directives.maxAge == 5)
        #expect(directives.mustRevalidate)
    }
}

@Suite struct CacheEntityTagTests {
    @Test func parsesListsWithQuotedCommas() {
        let tags = EntityTag.list(parsing: " \"a\", W/\"b,c\" ,\"\",unquoted , W/\"d\"")
        #expect(tags == [
            EntityTag(opaque: "a"), EntityTag(opaque: "b,c", isWeak: true), EntityTag(opaque: ""),
            EntityTag(opaque: "unquoted"), EntityTag(opaque: "d", isWeak: true),
        ])
    }

    @Test func comparisons() {
        let strong = EntityTag(opaque: "x")
        let weak = EntityTag(opaque: "x", isWeak: true)
        #expect(strong.weaklyMatches(weak) && weak.weaklyMatches(weak))
        #expect(strong.stronglyMatches(strong))
        #expect(!strong.stronglyMatches(weak) && !weak.stronglyMatches(weak))
        #expect(!strong.weaklyMatches(EntityTag(opaque: "y")))
        #expect(weak.headerValue == "W/\"x\"")
        #expect(EntityTag(parsing: "\"a\", \"b\"") == nil)
    }
}
