// The test and benchmark endpoints: /bytes, /delay, /echo, /headers, /nocache, /stats, /health.
import DemoAPI
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("Test endpoints")
struct DiagnosticsTests {
    static let pattern = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n".utf8)

    static func isPattern(_ body: ByteBuffer) -> Bool {
        body.withUnsafeReadableBytes { bytes in
            var offset = 0
            for byte in bytes {
                if byte != Self.pattern[offset] { return false }
                offset = offset == 63 ? 0 : offset + 1
            }
            return true
        }
    }

    @Test func health() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(response.text == #"{"status":"ok"}"#)
            #expect(response.header("Content-Type") == "application/json")
        }
    }

    @Test(arguments: [0, 1, 63, 64, 65_537, 1_000_000])
    func bytesHasExactLengthAndPattern(count: Int) async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get("/bytes/\(count)")
            #expect(response.status == .ok)
            #expect(response.header("Content-Type") == "application/octet-stream")
            #expect(response.header("Content-Length") == String(count))
            #expect(response.body.readableBytes == count)
            #expect(Self.isPattern(response.body))
        }
    }

    @Test func largeBytesStreamFully() async throws {
        try await withDemoAPI { client, _ in
            let count = 20 * 1024 * 1024
            let response = try await client.get("/bytes/\(count)")
            #expect(response.body.readableBytes == count)
            #expect(Self.isPattern(response.body))
            // And the connection carries on.
            #expect(try await client.get("/health").status == .ok)
        }
    }

    @Test(arguments: ["/bytes/abc", "/bytes/-1", "/bytes/104857601", "/bytes/1e3", "/delay/x", "/delay/600001"])
    func invalidSizesAreRefused(path: String) async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get(path)
            #expect(response.status == .badRequest)
            #expect(try response.decode(ErrorEnvelope.self).error.code == "VALIDATION_ERROR")
        }
    }

    @Test func delayWaits() async throws {
        try await withDemoAPI { client, _ in
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await client.get("/delay/200")
            #expect(clock.now - start >= .milliseconds(200))
            #expect(response.status == .ok)
            #expect(response.text == #"{"delayed_ms":200}"#)
        }
    }

    @Test func delaysDoNotBlockOtherConnections() async throws {
        try await withDemoAPI { client, port in
            let other = try await TestHTTPClient.connect(port: port)
            // A wide margin between the delay and the bound: on a loaded machine, answering
            // /health alone has taken more than the 100 ms a 1 s delay left.
            async let slow = client.get("/delay/3000")
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await other.get("/health").status == .ok)
            #expect(clock.now - start < .milliseconds(2500))
            #expect(try await slow.status == .ok)
            await other.close()
        }
    }

    @Test func echoesBodyAndContentType() async throws {
        try await withDemoAPI { client, _ in
            // 3 MiB of 251-byte runs: not aligned with any power-of-two chunking, so a lost or
            // reordered part would show.
            let run = ByteBuffer(bytes: (0..<251).map { UInt8($0) })
            var body = ByteBuffer()
            while body.readableBytes < 3 * 1024 * 1024 {
                body.writeImmutableBuffer(run)
            }
            let response = try await client.send(.POST, "/echo", headers: [("Content-Type", "application/x-test")], body: body)
            #expect(response.status == .ok)
            #expect(response.header("Content-Type") == "application/x-test")
            #expect(response.header("Content-Length") == String(body.readableBytes))
            #expect(response.body == body)

            let chunked = try await client.send(.POST, "/echo", body: body, chunked: true)
            #expect(chunked.body == body)
            #expect(chunked.header("Content-Type") == "application/octet-stream")

            let empty = try await client.send(.POST, "/echo", body: ByteBuffer())
            #expect(empty.status == .ok)
            #expect(empty.body.readableBytes == 0)
        }
    }

    @Test func headersReportsRequestHeaders() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get("/headers", headers: [("X-Trace", "a"), ("x-trace", "b"), ("X-Quote", #"say "hi""#)])
            #expect(response.status == .ok)
            let headers = try response.decode([String: String].self)
            #expect(headers["x-trace"] == "a, b")
            #expect(headers["x-quote"] == #"say "hi""#)
            #expect(headers["host"] == "127.0.0.1")
        }
    }

    @Test func nocacheAndStatsCountRequests() async throws {
        try await withDemoAPI { client, _ in
            _ = try await client.get("/api/users/1")
            _ = try await client.get("/api/users/1")
            let nocache = try await client.get("/nocache")
            #expect(nocache.text == #"{"nocache":true,"request":3}"#)

            struct Stats: Decodable {
                var requests: Int
                var targets: [String: Int]
            }
            let stats = try await client.get("/stats").decode(Stats.self)
            #expect(stats.requests == 4)
            #expect(stats.targets == ["/api/users/1": 2, "/nocache": 1, "/stats": 1])
        }
    }
}
