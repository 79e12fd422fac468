// CacheEntrySerializationTests: the binary entry encoding round-trips and rejects damage without crashing.

import GatehouseTesting
import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct CacheEntrySerializationTests {
    /// Values as a parser holds them (`FieldValueBytes`): every scalar stands for one byte.
    static var entries: [CacheEntry] {
        var binary = CacheFixtures.entry(headers: [("ETag", "W/\"x\""), ("X-Ü", "caf\u{E9} \u{C3}\u{A9} \t"), ("X-Empty", "")], varyNames: ["accept", "accept-encoding"])
        binary.body = CacheFixtures.buffer(bytes: (0...255).map { UInt8($0) })
        binary.status = HTTPResponseStatus(statusCode: 404, reasonPhrase: "")
        let empty = CacheFixtures.entry("", lifetime: 0, staleWhileRevalidate: 0, staleIfError: 0, alwaysRevalidate: true, at: CacheTime(secondsSince1970: -5), initialAge: 3)
        let large = CacheFixtures.entry(String(repeating: "0123456789", count: 20_000), headers: (0..<100).map { ("X-H\($0)", String(repeating: "v", count: $0)) })
        return [CacheFixtures.entry(), binary, empty, large]
    }

    @Test func roundTrips() throws {
        for entry in Self.entries {
            let encoded = entry.serialized()
            let decoded = try #require(CacheEntry(serialized: encoded))
            #expect(decoded == entry)
            #expect(decoded.headers.map { "\($0.name): \($0.value)" } == entry.headers.map { "\($0.name): \($0.value)" }, "order kept")
            #expect(CacheEntry(serialized: Array(encoded.readableBytesView)) == entry)
        }
    }

    /// A record written by another instance, or by anyone who can reach Redis, must not be able
    /// to split the response it is served as (or the revalidation request built from it).
    @Test(arguments: [
        ("X-Split", "a\r\nSet-Cookie: evil=1"), ("X-Split", "a\nb"), ("X-Split", "a\rb"), ("X-Nul", "a\u{0}b"),
        ("X-A\r\nX-B", "v"), ("X-A: b", "v"), ("X A", "v"),
    ])
    func refusesFieldsThatCouldSplitAMessage(name: String, value: String) {
        let forged = CacheFixtures.entry(headers: [("ETag", "\"a\""), (name, value)])
        #expect(CacheEntry(serialized: forged.serialized()) == nil)
    }

    @Test func rejectsEveryTruncation() {
        let bytes = Array(Self.entries[1].serialized().readableBytesView)
        for length in 0..<bytes.count {
            #expect(CacheEntry(serialized: Array(bytes.prefix(length))) == nil, "accepted \(length) of \(bytes.count) bytes")
        }
        #expect(CacheEntry(serialized: bytes + [0]) == nil, "trailing bytes")
    }

    @Test func rejectsAnyChangedByteOutsideTheBody() {
        let entry = Self.entries[1]
        let bytes = Array(entry.serialized().readableBytesView)
        let metadataAndChecksum = bytes.count - entry.body.readableBytes - 4
        for index in 0..<metadataAndChecksum {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[index] ^= flip
                #expect(CacheEntry(serialized: damaged) == nil, "byte \(index) ^ \(flip) accepted")
            }
        }
    }

    @Test func otherVersionsAndGarbageAreRejectedWithoutCrashing() {
        var bytes = Array(Self.entries[0].serialized().readableBytesView)
        bytes[4] = 2
        #expect(CacheEntry(serialized: bytes) == nil)
        var generator = SplitMix64(state: 99)
        let magic = Array("GHCE".utf8) + [1]
        for round in 0..<5_000 {
            let length = Int.random(in: 0..<200, using: &generator)
            var garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0 {
                garbage = magic + garbage
            }
            #expect(CacheEntry(serialized: garbage) == nil)
        }
        // Huge declared counts must not allocate or read out of bounds.
        var huge = magic + [0, 200, 0, 0] + [UInt8](repeating: 0, count: 41) + [0, 0] + [0xFF, 0xFF, 0xFF, 0xFF]
        huge += [UInt8](repeating: 0, count: 16)
        #expect(CacheEntry(serialized: huge) == nil)
    }

    @Test func decodingDoesNotCopyTheBody() throws {
        let entry = Self.entries[3]
        let decoded = try #require(CacheEntry(serialized: entry.serialized()))
        #expect(decoded.body.readableBytes == entry.body.readableBytes)
    }
}
