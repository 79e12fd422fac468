// Cache-Control, ETag and If-None-Match on the demo API's answers.
import DemoAPI
import NIOCore
import NIOHTTP1
import Testing

@Suite("Caching headers")
struct CachingTests {
    @Test func cacheableAnswersCarryMaxAgeAndETag() async throws {
        try await withDemoAPI { client, _ in
            for path in ["/api/users", "/api/users/1", "/bytes/10", "/delay/0"] {
                let response = try await client.get(path)
                #expect(response.status == .ok, "\(path)")
                #expect(response.header("Cache-Control") == "public, max-age=30", "\(path)")
                #expect(response.header("ETag")?.hasPrefix("\"") == true, "\(path)")
                #expect(response.header("Date")?.hasSuffix(" GMT") == true, "\(path)")
            }
        }
    }

    @Test func maxAgeIsConfigurable() async throws {
        try await withDemoAPI(DemoAPIConfiguration(maxAge: 5)) { client, _ in
            let response = try await client.get("/api/users/1")
            #expect(response.header("Cache-Control") == "public, max-age=5")
        }
        try await withDemoAPI(DemoAPIConfiguration(maxAge: 0)) { client, _ in
            let response = try await client.get("/api/users/1")
            #expect(response.header("Cache-Control") == "no-store")
        }
    }

    @Test func uncacheableAnswers() async throws {
        try await withDemoAPI { client, _ in
            for path in ["/nocache", "/headers", "/health", "/stats"] {
                #expect(try await client.get(path).header("Cache-Control") == "no-store", "\(path)")
            }
            // Errors to reads leave the decision to the cache; errors to writes are never stored.
            #expect(try await client.get("/api/users/999").header("Cache-Control") == nil)
            #expect(try await client.send(.DELETE, "/api/users/999").header("Cache-Control") == "no-store")
            let echo = try await client.send(.POST, "/echo", body: ByteBuffer(string: "x"))
            #expect(echo.header("Cache-Control") == "no-store")
        }
    }

    @Test func ifNoneMatchAnswers304() async throws {
        try await withDemoAPI { client, _ in
            let first = try await client.get("/api/users/1")
            let etag = try #require(first.header("ETag"))
            let again = try await client.get("/api/users/1")
            #expect(again.header("ETag") == etag)

            let notModified = try await client.get("/api/users/1", headers: [("If-None-Match", etag)])
            #expect(notModified.status == .notModified)
            #expect(notModified.body.readableBytes == 0)
            #expect(notModified.header("ETag") == etag)
            #expect(notModified.header("Cache-Control") == "public, max-age=30")

            let weakInList = try await client.get("/api/users/1", headers: [("If-None-Match", "\"nope\", W/\(etag)")])
            #expect(weakInList.status == .notModified)
            let star = try await client.get("/api/users/1", headers: [("If-None-Match", "*")])
            #expect(star.status == .notModified)
            let other = try await client.get("/api/users/1", headers: [("If-None-Match", "\"nope\"")])
            #expect(other.status == .ok)

            // A change gives a new tag; the old one no longer matches.
            _ = try await client.send(.PATCH, "/api/users/1", json: #"{"name":"Changed"}"#)
            let changed = try await client.get("/api/users/1", headers: [("If-None-Match", etag)])
            #expect(changed.status == .ok)
            #expect(changed.header("ETag") != etag)
        }
    }

    @Test func listAndBytesAnswer304Too() async throws {
        try await withDemoAPI { client, _ in
            for path in ["/api/users?page=2", "/bytes/100000"] {
                let etag = try #require(try await client.get(path).header("ETag"))
                let response = try await client.get(path, headers: [("If-None-Match", etag)])
                #expect(response.status == .notModified, "\(path)")
                #expect(response.body.readableBytes == 0, "\(path)")
            }
            let one = try #require(try await client.get("/bytes/1").header("ETag"))
            let two = try #require(try await client.get("/bytes/2").header("ETag"))
            #expect(one != two)
        }
    }

    @Test func headAnswersHeadersOnly() async throws {
        try await withDemoAPI { client, _ in
            let get = try await client.get("/api/users/1")
            let head = try await client.send(.HEAD, "/api/users/1")
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.header("Content-Length") == String(get.body.readableBytes))
            #expect(head.header("ETag") == get.header("ETag"))
            let bytes = try await client.send(.HEAD, "/bytes/5000")
            #expect(bytes.header("Content-Length") == "5000")
            #expect(bytes.body.readableBytes == 0)
            // The connection is still in step after bodiless answers.
            #expect(try await client.get("/health").text == #"{"status":"ok"}"#)
        }
    }
}
