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
        let (proxy, file, base) = try await ReloadFile.start(before: upstream)
        defer { try? FileManager.default.removeItem(at: file) }
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

    /// A file that is valid but cannot start (an origin name that does not resolve, an access
    /// log that cannot be opened) is rejected with the lines `gatehouse check` prints: FILE:LINE:
    /// key. The reload said only what the runtime's build threw ("SocketAddressError.UnknownHost: …").
    @Test func aReloadNamesTheKeyAndLineOfWhatTheMachineLacks() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .respond() })
        let (proxy, file, good) = try await ReloadFile.start(before: upstream)
        defer { try? FileManager.default.removeItem(at: file) }
        try good.replacingOccurrences(of: "  access_log: off", with: "  access_log: /nonexistent-gatehouse-dir/access.log")
            .replacingOccurrences(of: "http://127.0.0.1:\(upstream.port)", with: "http://no-such-host.invalid:80")
            .write(to: file, atomically: true, encoding: .utf8)
        let rejected = try await TestHTTPClient.request(port: proxy.adminPort, "POST", "/admin/reload")
        #expect(rejected.status == 400)
        let problems = ((rejected.jsonObject()?["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? [])
            .compactMap { $0["problem"] as? String }
        #expect(problems.contains {
            $0 == "\(file.path):4: server.access_log: cannot open access log /nonexistent-gatehouse-dir/access.log: No such file or directory"
        }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("\(file.path):6: upstream.servers[0]: cannot resolve no-such-host.invalid") }, "\(problems)")
        // The running config still serves.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}

@Suite struct ReloadUnderTrafficTests {
    @Test func reloadsUnderTrafficFailNoRequest() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .respond(body: Array("ok".utf8)) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-load-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        let config = { (maxConnections: Int, broken: Bool) in
            """
            server:
              listen: "127.0.0.1:0"
              admin_listen: "127.0.0.1:0"
              access_log: off
              max_connections: \(maxConnections)
            upstream:
              servers: ["http://127.0.0.1:\(upstream.port)"]
            \(broken ? "  connect_timeout: soon" : "")
            """
        }
        try config(1000, false).write(to: file, atomically: true, encoding: .utf8)
        let proxy = try await ProxyHarness.start(upstreamPorts: [upstream.port], configPath: file.path)
        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let client = try await TestHTTPClient.connect(port: proxy.port)
                    var statuses: [Int] = []
                    for _ in 0..<150 {
                        statuses.append(try await client.send("GET", "/").status)
                    }
                    try await client.close()
                    return statuses
                }
            }
            group.addTask {
                var outcomes: [Int] = []
                for round in 0..<6 {
                    try config(900 + round, round % 2 == 1).write(to: file, atomically: true, encoding: .utf8)
                    outcomes.append(await proxy.server.reload() ? 1 : 0)
                }
                return outcomes.map { $0 == 1 ? 200 : 400 }
            }
            var all: [Int] = []
            for try await part in group { all.append(contentsOf: part) }
            return all
        }
        #expect(statuses.filter { $0 == 200 }.count == 600 + 3)
        #expect(statuses.filter { $0 == 400 }.count == 3)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
