// NormalizedPathTests: the path every path_prefix matches — RFC 3986 §6.2.2 normalisation plus merged slashes.

import Testing
@testable import GatehouseCore

@Suite struct NormalizedPathTests {
    @Test(arguments: [
        "/",
        "/api/users",
        "/api/users/",
        "/.well-known/openid-configuration",  // a segment starting with "." is not a dot segment
        "/a/..b",
        "/a/b..",
        "/a/...",
        "/a/b.",
        "/caf\u{E9}/x",
        "*",   // OPTIONS *: not a path to normalise
        "",
    ])
    func normalPathsAreKeptAsTheyAre(path: String) {
        #expect(NormalizedPath(path).value == path)
    }

    /// What every request pays when its path is normal: nothing copied, from a path or from
    /// a target with a query alike. (Longer than a small string, so there is storage to compare.)
    @Test(arguments: ["/api/users/12345/orders/67890/items", "/files/caf%C3%A9/r%C3%A9sum%C3%A9.pdf"])
    func aNormalPathIsTheSameStorageNotACopy(path: String) throws {
        let target = path + "?page=2&sort=name"
        for (given, normal) in [(path, NormalizedPath(path)), (target, NormalizedPath(requestTarget: target))] {
            #expect(normal.value == path)
            let start = try #require(given.utf8.withContiguousStorageIfAvailable { $0.baseAddress })
            let kept = try #require(normal.value.utf8.withContiguousStorageIfAvailable { $0.baseAddress })
            #expect(start == kept)
        }
    }

    @Test(arguments: [
        ("/%61pi/users", "/api/users"),
        ("/%41%5a%7e%2D%5F%30%2e", "/AZ~-_0."),   // every unreserved class, hex of either case
        ("/api%2Fusers", "/api/users"),           // a separator, as nginx and decoding origins read it
        ("/api%2fusers", "/api/users"),
        ("/a%3fb", "/a%3Fb"),                     // other escapes keep their hex, upper-cased (RFC 3986 §6.2.2.1)
        ("/a%3fb", "/a%3Fb"),
        ("/a%20b", "/a%20b"),
        ("/%25", "/%25"),                         // "%" itself stays encoded ...
        ("/%2561pi", "/%2561pi"),                 // ... so nothing is decoded twice
        ("/caf%c3%a9", "/caf%C3%A9"),             // non-ASCII is not unreserved
        ("/u/%7Ebob", "/u/~bob"),
    ])
    func unreservedEscapesAreDecodedOthersKept(path: String, normal: String) {
        #expect(NormalizedPath(path).value == normal)
    }

    @Test(arguments: [
        ("/a%", "/a%"),
        ("/a%4", "/a%4"),
        ("/a%zz", "/a%zz"),
        ("/a%4g/b", "/a%4g/b"),
        ("/%%61", "/%a"),        // a stray "%" is a byte like any other; the escape after it is read
        ("/%/../x", "/x"),
        ("/api/%2", "/api/%2"),
    ])
    func malformedEscapesAreKept(path: String, normal: String) {
        #expect(NormalizedPath(path).value == normal)
    }

    @Test(arguments: [
        ("//api/users", "/api/users"),
        ("/api//users", "/api/users"),
        ("/api///users//", "/api/users/"),
        ("//", "/"),
        ("///", "/"),
    ])
    func slashesAreMerged(path: String, normal: String) {
        #expect(NormalizedPath(path).value == normal)
    }

    @Test(arguments: [
        ("/./api/users", "/api/users"),
        ("/x/../api/users", "/api/users"),
        ("/api/.", "/api/"),
        ("/api/..", "/"),
        ("/..", "/"),
        ("/.", "/"),
        ("/../api", "/api"),                   // never above the root
        ("/a/b/../../../c", "/c"),
        ("/%2e/api", "/api"),                  // dots spelled as escapes are dots
        ("/%2E%2E/api", "/api"),
        ("/x/%2e%2E/api", "/api"),
        ("/x/.%2e/api/", "/api/"),
        ("/x//../api", "/api"),                // slashes merged first, as nginx does
        ("/a/b/..//c", "/a/c"),
        ("/%61/./b/%2e%2e/c%2F..", "/a/"),        // "c%2F.." is "c" then "..": nothing climbs past it unseen
    ])
    func dotSegmentsAreRemoved(path: String, normal: String) {
        #expect(NormalizedPath(path).value == normal)
    }

    /// RFC 3986 §5.4.1/§5.4.2 against base `http://a/b/c/d;p?q`, where the reference is a path:
    /// each row is the merged path (§5.2.3, base directory `/b/c/` plus the reference, or an
    /// absolute-path reference) and the path of the RFC's target URI.
    @Test(arguments: [
        ("/b/c/g", "/b/c/g"),            // "g"
        ("/b/c/./g", "/b/c/g"),          // "./g"
        ("/b/c/g/", "/b/c/g/"),          // "g/"
        ("/g", "/g"),                    // "/g"
        ("/b/c/.", "/b/c/"),             // "."
        ("/b/c/./", "/b/c/"),            // "./"
        ("/b/c/..", "/b/"),              // ".."
        ("/b/c/../", "/b/"),             // "../"
        ("/b/c/../g", "/b/g"),           // "../g"
        ("/b/c/../..", "/"),             // "../.."
        ("/b/c/../../", "/"),            // "../../"
        ("/b/c/../../g", "/g"),          // "../../g"
        ("/b/c/../../../g", "/g"),       // "../../../g"
        ("/b/c/../../../../g", "/g"),    // "../../../../g"
        ("/./g", "/g"),                  // "/./g"
        ("/../g", "/g"),                 // "/../g"
        ("/b/c/g.", "/b/c/g."),          // "g."
        ("/b/c/.g", "/b/c/.g"),          // ".g"
        ("/b/c/g..", "/b/c/g.."),        // "g.."
        ("/b/c/..g", "/b/c/..g"),        // "..g"
        ("/b/c/./../g", "/b/g"),         // "./../g"
        ("/b/c/./g/.", "/b/c/g/"),       // "./g/."
        ("/b/c/g/./h", "/b/c/g/h"),      // "g/./h"
        ("/b/c/g/../h", "/b/c/h"),       // "g/../h"
    ])
    func rfc3986Examples(merged: String, target: String) {
        #expect(NormalizedPath(merged).value == target)
    }

    @Test func theQueryIsNotPartOfARequestTargetsPath() {
        #expect(NormalizedPath(requestTarget: "/%61pi//users?next=/../x").value == "/api/users")
        #expect(NormalizedPath(requestTarget: "http://example.com//api/./users?q").value == "/api/users")
        #expect(NormalizedPath(requestTarget: "/a/b#/../c").value == "/a/b")
    }

    @Test func prefixesMatchTheNormalisedPath() {
        for path in ["/api/users", "/%61pi/users", "//api/users", "/./api/users", "/x/../api/users", "/%2e/api/users", "/api%2Fusers"] {
            #expect(NormalizedPath(path).hasPrefix("/api/"), "\(path)")
        }
        for path in ["/apiv2", "/api%3Fusers", "/ap", "/x/api/users"] {
            #expect(!NormalizedPath(path).hasPrefix("/api/"), "\(path)")
        }
    }

    /// Random paths over the bytes that matter, against a plain reference (decode, then split and
    /// stack segments): the same result, never longer, and normal (a second pass changes nothing)
    /// when every `%` starts an escape. After a stray `%` decoding can spell a new escape
    /// (`%%361` → `%61`): decoding is one pass, as in a lenient origin, so that one stays.
    /// A `%2F` is read both ways: as a separator (`value`) and as data (`dataSlashReading`), and
    /// a prefix matches when either reading has it, so `..` after a `%2F` cannot climb out of a
    /// policy for an origin that keeps `%2F` as data.
    @Test func a2FIsMatchedUnderBothReadings() {
        let climbing = NormalizedPath("/api/graphql/%2F..%2F..%2F..%2Fx")
        #expect(climbing.value == "/x")
        #expect(climbing.dataSlashReading == "/api/graphql/%2F..%2F..%2F..%2Fx")
        #expect(climbing.hasPrefix("/api/"))
        #expect(climbing.hasPrefix("/x"))
        let plain = NormalizedPath("/api%2fusers")
        #expect(plain.value == "/api/users")
        #expect(plain.dataSlashReading == "/api%2Fusers")
        #expect(NormalizedPath("/%61pi/users").dataSlashReading == nil)
        #expect(NormalizedPath("/api/users").dataSlashReading == nil)
    }

    @Test func agreesWithAReferenceOnRandomPaths() {
        let alphabet = Array("/.%2eEfF6a1x~".utf8)
        var random = SplitMix64(state: 3986)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 14)
            let bytes = [UInt8(ascii: "/")] + (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let path = String(decoding: bytes, as: UTF8.self)
            let normal = NormalizedPath(path).value
            #expect(String(normal) == Self.reference(path), "\(path)")
            if !Self.hasStrayPercent(bytes) {
                #expect(NormalizedPath(normal).value == normal, "\(path)")
            }
            #expect(normal.utf8.count <= path.utf8.count, "\(path)")
        }
    }

    @Test func decodingIsOnePass() {
        #expect(NormalizedPath("/%%361pi").value == "/%61pi")
    }

    private static func hasStrayPercent(_ bytes: [UInt8]) -> Bool {
        bytes.indices.contains { index in
            bytes[index] == UInt8(ascii: "%")
                && !(index + 2 < bytes.count && bytes[(index + 1)...(index + 2)].allSatisfy { $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit })
        }
    }

    /// The rules written as plainly as possible: decode unreserved escapes (upper-casing the
    /// rest), split on "/", drop empty and "." segments, let ".." pop.
    private static func reference(_ path: String) -> String {
        var decoded: [UInt8] = []
        let bytes = Array(path.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let pair = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16),
               bytes[index + 1] != UInt8(ascii: "+"), bytes[index + 1] != UInt8(ascii: "-")
            {
                let character = Character(Unicode.Scalar(pair))
                if character == "/" || character.isASCII && (character.isLetter || character.isNumber || "-._~".contains(character)) {
                    decoded.append(pair)
                } else {
                    decoded.append(contentsOf: ("%" + String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self).uppercased()).utf8)
                }
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        let segments = String(decoding: decoded, as: UTF8.self).split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var stack: [Substring] = []
        for segment in segments {
            switch segment {
            case "", ".": continue
            case "..": _ = stack.popLast()
            default: stack.append(segment)
            }
        }
        let last = segments.last
        let directory = last == "" || last == "." || last == ".."
        return "/" + stack.joined(separator: "/") + (directory && !stack.isEmpty ? "/" : "")
    }
}
