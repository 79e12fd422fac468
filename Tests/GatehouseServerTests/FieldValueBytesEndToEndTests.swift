// FieldValueBytesEndToEndTests: field values with bytes above 0x7F (obs-text, raw UTF-8) pass through byte for byte, both ways, stored or not.
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct FieldValueBytesEndToEndTests {
    /// `X-Name: caf\xE9` (ISO-8859-1, not UTF-8) and a `Content-Disposition` with a raw UTF-8
    /// filename, as an origin sends them.
    static let latin1Field: [UInt8] = Array("X-Name: caf".utf8) + [0xE9] + Array("\r\n".utf8)
    static let utf8Field: [UInt8] = Array("Content-Disposition: attachment; filename=\"r".utf8) + [0xC3, 0xA9]
        + Array("sum".utf8) + [0xC3, 0xA9] + Array(".pdf\"\r\n".utf8)
    static let latin1Filename: [UInt8] = Array("X-File: r".utf8) + [0xE9] + Array("sum".utf8) + [0xE9] + Array(".pdf\r\n".utf8)

    enum Store: String, CaseIterable {
        case memory
        case redis
    }

    /// Each byte was read as UTF-8, an invalid one becoming U+FFFD (EF BF BD): the client got
    /// `caf\xEF\xBF\xBD` on the miss and on every hit, from memory and from Redis alike.
    @Test(arguments: Store.allCases)
    func responseFieldsReachTheClientAsTheOriginSentThem(store: Store) async throws {
        let response = Array("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n".utf8)
            + Self.latin1Field + Self.utf8Field + Self.latin1Filename + Array("Content-Length: 2\r\n\r\nok".utf8)
        let origin = try await RawTestOrigin.start { _, _ in [.writeBytes(response)] }
        switch store {
        case .memory:
            try await Self.checkMissAndHit(origin: origin) { _ in }
        case .redis:
            try await RedisServerProcess.with { redis in
                try await Self.checkMissAndHit(origin: origin) { config in
                    config.cache.store = .redis
                    config.redis.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: redis.port), database: 0, password: nil)
                }
            }
        }
        try await origin.shutdown()
    }

    private static func checkMissAndHit(origin: RawTestOrigin, configure: (inout GatehouseConfig) -> Void) async throws {
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port], configure: configure)
        let (miss, missBytes) = try await Self.get("/file", port: proxy.port)
        #expect(miss.header("cache-status") == "gatehouse; fwd=uri-miss; stored")
        Self.expectFields(in: missBytes, "on the miss")
        // A Redis entry is written after the response has ended: a bounded wait for the first hit.
        var (hit, hitBytes) = (miss, missBytes)
        _ = try await Polling.until(every: .milliseconds(20)) {
            (hit, hitBytes) = try await Self.get("/file", port: proxy.port)
            return hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true
        }
        #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        Self.expectFields(in: hitBytes, "on a hit")
        #expect(hit.bodyString == "ok")
        try await proxy.stop()
    }

    private static func expectFields(in bytes: [UInt8], _ when: String) {
        #expect(Self.contains(bytes, Self.latin1Field), "X-Name \(when): \(Self.show(bytes))")
        #expect(Self.contains(bytes, Self.utf8Field), "Content-Disposition \(when): \(Self.show(bytes))")
        #expect(Self.contains(bytes, Self.latin1Filename), "X-File \(when): \(Self.show(bytes))")
    }

    /// A client's `X-V: caf\xE9` reached the origin as `caf\xEF\xBF\xBD`.
    @Test func requestFieldsReachTheOriginAsTheClientSentThem() async throws {
        let origin = try await RawTestOrigin.start { _, _ in [.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")] }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        let latin1 = Array("X-V: caf".utf8) + [0xE9] + Array("\r\n".utf8)
        let utf8 = Array("X-U: r".utf8) + [0xC3, 0xA9] + Array("sum".utf8) + [0xC3, 0xA9] + Array("\r\n".utf8)
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write(bytes: Array("GET /echo HTTP/1.1\r\nHost: t\r\n".utf8) + latin1 + utf8 + Array("\r\n".utf8))
        #expect(try await connection.readResponse(timeout: .seconds(5))?.bodyString == "ok")
        let head = try #require(origin.heads.last { Self.contains($0, Array("GET /echo ".utf8)) })
        #expect(Self.contains(head, latin1), "\(Self.show(head))")
        #expect(Self.contains(head, utf8), "\(Self.show(head))")
        try await connection.close()
        try await proxy.stop()
        try await origin.shutdown()
    }

    /// `\xE9` and `\xE8` both became U+FFFD, so the second was served the first's variant;
    /// `\xC3\xA9` (`é` in UTF-8) must not be taken for `\xE9` (`é` in ISO-8859-1) either.
    @Test func varyValuesDifferingInAByteAboveASCIIAreDistinctVariants() async throws {
        let answered = NIOLockedValueBox(0)
        let origin = try await RawTestOrigin.start { _, _ in
            let number = answered.withLockedValue { count in
                count += 1
                return count
            }
            return [.write("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nVary: X-V\r\nContent-Length: 2\r\n\r\nn\(number)")]
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        let values: [[UInt8]] = [[0xE9], [0xE8], [0xC3, 0xA9]]
        for round in 0..<2 {
            for (index, value) in values.enumerated() {
                let (response, _) = try await Self.get("/v", port: proxy.port, fields: Array("X-V: caf".utf8) + value + Array("\r\n".utf8))
                #expect(response.bodyString == "n\(index + 1)", "round \(round), X-V \(value): \(response.header("cache-status") ?? "")")
            }
        }
        #expect(answered.withLockedValue { $0 } == values.count)
        try await proxy.stop()
        try await origin.shutdown()
    }

    /// A GET on a connection of its own: the response, and every byte the connection received.
    private static func get(_ path: String, port: Int, fields: [UInt8] = []) async throws -> (TestHTTPResponse, [UInt8]) {
        let connection = try await RawHTTPConnection.connect(port: port)
        try await connection.write(bytes: Array("GET \(path) HTTP/1.1\r\nHost: t\r\n".utf8) + fields + Array("\r\n".utf8))
        let response = try #require(try await connection.readResponse(timeout: .seconds(5)))
        let bytes = connection.receivedBytes
        try await connection.close()
        return (response, bytes)
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// The bytes with everything outside printable ASCII escaped, for failure messages.
    private static func show(_ bytes: [UInt8]) -> String {
        bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }.joined()
    }
}
