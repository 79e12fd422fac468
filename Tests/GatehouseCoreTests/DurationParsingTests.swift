// DurationParsingTests: the duration and size syntax of proxy.conf, both ways.

import Testing
@testable import GatehouseCore

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("30s", .seconds(30)),
        ("5m", .seconds(300)),
        ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)),
        ("1h2m3s4ms", .milliseconds(3_723_004)),
        ("1.5s", .milliseconds(1500)),
        ("0.25h", .seconds(900)),
        ("0.5ms", .microseconds(500)),
        ("0s", .zero),
        ("0", .zero),
    ])
    func parses(_ text: String, _ expected: Duration) throws {
        #expect(try DurationSyntax.parse(text) == expected)
    }

    @Test(arguments: [
        ("60", "\"60\" needs a unit (ms, s, m, h), e.g. \"60s\""),
        ("1.5", "\"1.5\" needs a unit (ms, s, m, h), e.g. \"1.5s\""),
        ("1m30", "\"1m30\" needs a unit (ms, s, m, h), e.g. \"1m30s\""),
        ("10sec", "\"10sec\" has an unknown unit \"sec\"; use ms, s, m or h"),
        ("2d", "\"2d\" has an unknown unit \"d\"; use ms, s, m or h"),
        ("-5s", "\"-5s\" must not be negative"),
        ("", "needs a duration such as \"30s\" or \"250ms\""),
        ("s", "\"s\" is not a duration; write a number and a unit (ms, s, m, h), e.g. \"30s\""),
        ("1 s", "\"1 s\" is not a duration; write a number and a unit (ms, s, m, h), e.g. \"30s\""),
        (".5s", "\".5s\" is not a duration; write a number and a unit (ms, s, m, h), e.g. \"30s\""),
        ("99999999999h", "\"99999999999h\" is too long"),
    ])
    func rejects(_ text: String, _ message: String) {
        #expect(throws: InvalidValue(message)) { try DurationSyntax.parse(text) }
    }

    @Test(arguments: [
        (Duration.seconds(30), "30s"),
        (.seconds(90), "1m30s"),
        (.seconds(3600), "1h"),
        (.milliseconds(250), "250ms"),
        (.milliseconds(1500), "1s500ms"),
        (.microseconds(1500), "1.5ms"),
        (.zero, "0s"),
    ])
    func formatsWhatItParses(_ duration: Duration, _ text: String) throws {
        #expect(DurationSyntax.format(duration) == text)
        #expect(try DurationSyntax.parse(text) == duration)
    }
}

@Suite struct ByteSizeParsingTests {
    @Test(arguments: [
        ("512KiB", 512 * 1024),
        ("256MiB", 256 * 1024 * 1024),
        ("1GiB", 1 << 30),
        ("100B", 100),
        ("10KB", 10_000),
        ("10MB", 10_000_000),
        ("2GB", 2_000_000_000),
        ("1.5KiB", 1536),
        ("32kib", 32 * 1024),
        ("0B", 0),
        ("0", 0),
    ])
    func parses(_ text: String, _ expected: Int) throws {
        #expect(try ByteSizeSyntax.parse(text) == expected)
    }

    @Test(arguments: [
        ("32768", "\"32768\" needs a unit (B, KiB, MiB, GiB), e.g. \"32KiB\""),
        ("1000", "\"1000\" needs a unit (B, KiB, MiB, GiB), e.g. \"1000B\""),
        ("10Mb/s", "\"10Mb/s\" is not a size; write a number and a unit (B, KiB, MiB, GiB), e.g. \"512KiB\""),
        ("10 MiB", "\"10 MiB\" is not a size; write a number and a unit (B, KiB, MiB, GiB), e.g. \"512KiB\""),
        ("1MiB1KiB", "\"1MiB1KiB\" is not a size; write one number and one unit (B, KiB, MiB, GiB), e.g. \"512KiB\""),
        ("5XB", "\"5XB\" has an unknown unit \"XB\"; use B, KiB, MiB, GiB, KB, MB or GB"),
        ("-1KiB", "\"-1KiB\" must not be negative"),
        ("99999999999TB", "\"99999999999TB\" is too large"),
    ])
    func rejects(_ text: String, _ message: String) {
        #expect(throws: InvalidValue(message)) { try ByteSizeSyntax.parse(text) }
    }

    @Test func formatsInTheLargestExactUnit() {
        #expect(ByteSizeSyntax.format(256 * 1024 * 1024) == "256MiB")
        #expect(ByteSizeSyntax.format(32 * 1024) == "32KiB")
        #expect(ByteSizeSyntax.format(1536) == "1536B")
        #expect(ByteSizeSyntax.format(0) == "0B")
    }
}
