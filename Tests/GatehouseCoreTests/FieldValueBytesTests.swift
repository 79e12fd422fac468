// FieldValueBytesTests: field values are read into Strings and written back byte for byte, obs-text included.

import GatehouseTesting
import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct FieldValueBytesTests {
    static func held(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes(FieldValueBytes.string)
    }

    @Test func asciiIsHeldAsItIs() {
        #expect(Self.held(Array("text/html; charset=utf-8".utf8)) == "text/html; charset=utf-8")
        #expect(Self.held([]) == "")
    }

    /// ISO-8859-1: one scalar per byte, for invalid UTF-8 and valid alike, so that `é` sent in
    /// UTF-8 (C3 A9) and in ISO-8859-1 (E9) are two values.
    @Test func otherBytesAreHeldOneScalarEach() {
        #expect(Self.held([0x63, 0x61, 0x66, 0xE9]) == "caf\u{E9}")
        #expect(Self.held([0xC3, 0xA9]) == "\u{C3}\u{A9}")
        #expect(Self.held([0xE9]) != Self.held([0xE8]))
        #expect(Self.held([0xE9]) != Self.held([0xC3, 0xA9]))
    }

    /// Every byte, alone, amid ASCII and in runs longer than a word, comes back as it was.
    @Test func everyByteRoundTrips() {
        let all = (0...255).map { UInt8($0) }
        var samples: [[UInt8]] = all.map { [$0] } + [all, Array("0123456789abcdef".utf8) + [0xFF] + Array("xyz".utf8)]
        samples.append(Array("filename=\"r".utf8) + [0xC3, 0xA9, 0x73, 0x75, 0x6D, 0xC3, 0xA9] + Array(".pdf\"".utf8))
        for bytes in samples {
            let value = Self.held(bytes)
            #expect(FieldValueBytes.bytes(of: value) == bytes)
            #expect(FieldValueBytes.bytes(of: Substring(value)) == bytes)
            var buffer = ByteBuffer()
            buffer.writeHTTPField(name: "X-V", value: value)
            #expect(Array(buffer.readableBytesView) == Array("X-V: ".utf8) + bytes + Array("\r\n".utf8))
        }
    }

    /// Text Gatehouse made itself with a scalar no byte stands for goes out as its UTF-8.
    @Test func valuesBeyondLatin1AreWrittenAsUTF8() {
        #expect(FieldValueBytes.bytes(of: "ok \u{2713}") == Array("ok \u{2713}".utf8))
        #expect(FieldValueBytes.bytes(of: "\u{E9}\u{2713}") == Array("\u{E9}\u{2713}".utf8))
    }

    /// A keep-alive peer's field equal to the previous head's reuses its String. The bytes C3 A9
    /// equal the UTF-8 of the String held for the byte E9 alone (`é`): reusing it would have
    /// written E9 for C3 A9.
    @Test func theCollectorReusesAStringOnlyForTheSameBytes() throws {
        var collector = HTTPFieldCollector()
        var values: [String] = []
        for value in [[0xE9], [0xC3, 0xA9], [0xC3, 0xA9], Array("plain".utf8), Array("plain".utf8)] as [[UInt8]] {
            try collector.add(ByteBuffer(bytes: Array("X-V: ".utf8) + value))
            values.append(try #require(collector.finish().headers.first(name: "x-v")))
        }
        #expect(values.map { FieldValueBytes.bytes(of: $0) } == [[0xE9], [0xC3, 0xA9], [0xC3, 0xA9], Array("plain".utf8), Array("plain".utf8)])
    }

    /// The Redis record holds a value's wire bytes; a record written before obs-text was kept
    /// held the UTF-8 of valid UTF-8 values, which are those same bytes.
    @Test func aStoredRecordHoldsTheWireBytes() throws {
        let entry = CacheFixtures.entry(headers: [("X-Name", Self.held([0x63, 0x61, 0x66, 0xE9])), ("X-U", Self.held([0xC3, 0xA9]))])
        let record = Array(entry.serialized().readableBytesView)
        #expect(record.indices.contains { record[$0...].starts(with: [0, 0, 0, 4, 0x63, 0x61, 0x66, 0xE9]) })
        #expect(record.indices.contains { record[$0...].starts(with: [0, 0, 0, 2, 0xC3, 0xA9]) })
        let decoded = try #require(CacheEntry(serialized: record))
        #expect(decoded == entry)
    }

    /// Two API keys differing in one byte above ASCII were one user (both read as U+FFFD), and
    /// so shared a rate limit and `per_user` cache entries; a key's identifier is the digest of
    /// its bytes as sent, as it was for keys that are valid UTF-8.
    @Test func apiKeysDifferingInAByteAboveASCIIAreDifferentUsers() throws {
        func user(_ key: [UInt8]) throws -> String? {
            var parser = ClientRequestParser(maxHeadBytes: 8192)
            var buffer = ByteBuffer(bytes: Array("GET / HTTP/1.1\r\nHost: t\r\nX-API-Key: k".utf8) + key + Array("\r\n\r\n".utf8))
            guard case .head(let head) = try parser.next(&buffer) else { return nil }
            let resolver = UserIdentityResolver(jwt: nil, apiKeyHeader: "X-API-Key", userHeader: nil)
            return try resolver.resolve(headers: head.headers, peerIsTrusted: false, now: .now).get()?.id
        }
        let latin1 = try #require(try user([0xE9]))
        #expect(latin1 != (try user([0xE8])))
        #expect(try user([0xC3, 0xA9]) == APIKeyDigest.prefixedDigest(of: "k\u{E9}", prefix: APIKeyDigest.prefix))
    }
}
