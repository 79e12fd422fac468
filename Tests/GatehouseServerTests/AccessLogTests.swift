// AccessLogTests: one JSON line per request, whatever ended it; a broken destination fails nothing.
import Foundation
import GatehouseCore
import GatehouseTesting
import Testing

@Suite struct AccessLogTests {
    @Test func writesOneJSONLinePerRequest() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond(body: Array("12345".utf8)) }) { config in
            config.server.accessLog = .file(path: file.path)
            config.server.maxBodyBytes = 10
        }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/a?b=1", headers: [("X-Request-Id", "req-1")]).status == 200)
        let refused = try await TestHTTPClient.request(port: proxy.port, "POST", "/big", body: Array(repeating: 1, count: 100))
        #expect(refused.status == 413)
        // Draining flushes and closes the log.
        #expect(await proxy.server.drain(timeout: .seconds(5)))

        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["method"] as? String == "GET")
        #expect(first["path"] as? String == "/a?b=1")
        #expect(first["status"] as? Int == 200)
        #expect(first["bytes"] as? Int == 5)
        #expect(first["client"] as? String == "127.0.0.1")
        #expect(first["request_id"] as? String == "req-1")
        #expect(first["cache"] as? String == "miss")
        #expect((first["upstream"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
        #expect((first["time"] as? String)?.hasSuffix("Z") == true)
        #expect(first["duration"] is Double)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["status"] as? Int == 413)
        #expect(second["upstream"] is NSNull)
        try await upstream.shutdown()
    }

    @Test func aFailingDestinationNeverFailsARequest() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.accessLog = .file(path: "/dev/full")
        }
        let client = try await TestHTTPClient.connect(port: proxy.port)
        for _ in 0..<20 {
            #expect(try await client.send("GET", "/").status == 200)
        }
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
