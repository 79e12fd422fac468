// ReloadTests: a good file is swapped in, a bad one is rejected and the old config keeps serving.
import Foundation
import GatehouseCore
import GatehouseTesting
import Testing

@Suite struct ReloadTests {
    private func writeConfig(_ text: String, to url: URL) throws {
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func goodFileIsAppliedAndBadFileIsRejected() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .drainRequestThenRespond() })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        let base = """
        server:
          listen: "127.0.0.1:0"
          admin_listen: "127.0.0.1:0"
          access_log: off
        upstream:
          servers: ["http://127.0.0.1:\(upstream.port)"]
        """
        try writeConfig(base, to: file)
        let proxy = try await ProxyHarness.start(upstreamPorts: [upstream.port], configPath: file.path)
        let body = Array(repeating: UInt8(ascii: "x"), count: 2_000)
        #expect(try await TestHTTPClient.request(port: proxy.port, "POST", "/", body: body).status == 200)

        // A keep-alive client opened before the reload gets the new rules on its next request.
        let client = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await client.send("POST", "/", body: body).status == 200)

        try writeConfig(base.replacingOccurrences(of: "  access_log: off", with: "  access_log: off\n  max_body_bytes: 1KiB"), to: file)
        let reloaded = try await TestHTTPClient.request(port: proxy.adminPort, "POST", "/admin/reload")
        #expect(reloaded.status == 200, "\(reloaded.bodyString)")
        #expect(try await client.send("POST", "/", body: body).status == 413)

        try writeConfig(base + "\n  bogus_key: 1\n", to: file)
        #expect(await proxy.server.reload() == false)
        let rejected = try await TestHTTPClient.request(port: proxy.adminPort, "POST", "/admin/reload")
        #expect(rejected.status == 400)
        #expect(rejected.bodyString.contains("bogus_key"))
        // The last good config (1 KiB limit) still serves.
        #expect(try await TestHTTPClient.request(port: proxy.port, "POST", "/", body: body).status == 413)
        #expect(try await TestHTTPClient.request(port: proxy.port, "POST", "/", body: Array(body.prefix(10))).status == 200)

        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_config_reloads_total", ["result": "success"]) == 1)
        #expect(metrics.value("gatehouse_config_reloads_total", ["result": "error"]) == 2)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
