// CommandLineTests: the real gatehouse and demo-api executables, as an operator runs them.
import Foundation
import GatehouseTesting
import Testing

@Suite struct CommandLineTests {
    @Test func versionPrintsTheVersion() async throws {
        let (status, output) = try await ChildProcess.run(BuiltProducts.gatehouse, ["version"])
        #expect(status == 0)
        #expect(output.hasPrefix("gatehouse "))
    }

    @Test func checkAcceptsTheExample() async throws {
        let example = BuiltProducts.packageRoot.appendingPathComponent("proxy.conf.example").path
        let (status, output) = try await ChildProcess.run(BuiltProducts.gatehouse, ["check", "--config", example])
        #expect(status == 0, "\(output)")
        #expect(output.contains("OK"))
    }

    @Test func checkListsEveryProblemWithItsLine() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).conf")
        try """
        server:
          listen: "127.0.0.1:8080"
          idle_timeout: 60
          max_body_bytes: lots
        upstream:
          servers: ["http://127.0.0.1:3000"]
          conect_timeout: 2s
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try await ChildProcess.run(BuiltProducts.gatehouse, ["check", "--config", file.path])
        #expect(status == 1)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(file.path):3: server.idle_timeout:") })
        #expect(lines.contains { $0.hasPrefix("\(file.path):4: server.max_body_bytes:") })
        #expect(lines.contains { $0.hasPrefix("\(file.path):7: upstream.conect_timeout:") })
    }

    /// A valid file that cannot start (like `nginx -t`, check opens what the file names):
    /// `check` and `run` both list every such problem, at the line of its key, and exit 1.
    @Test func checkAndRunReportWhatTheFileNeedsFromTheMachine() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("machine-\(UUID().uuidString).conf")
        try """
        server:
          access_log: /nonexistent-gatehouse-dir/access.log
        upstream:
          servers: ["http://127.0.0.1:3000", "http://no-such-host.invalid:3000"]
        identity:
          jwt:
            public_key_file: /nonexistent-gatehouse-dir/jwt.pem
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        for command in ["check", "run"] {
            let (status, output) = try await ChildProcess.run(BuiltProducts.gatehouse, [command, "--config", file.path])
            #expect(status == 1, "\(command): \(output)")
            #expect(output.contains(
                "\(file.path):7: identity.jwt.public_key_file: cannot read /nonexistent-gatehouse-dir/jwt.pem: No such file or directory"
            ), "\(command): \(output)")
            #expect(output.contains(
                "\(file.path):2: server.access_log: cannot open access log /nonexistent-gatehouse-dir/access.log: No such file or directory"
            ), "\(command): \(output)")
            #expect(output.contains("\(file.path):4: upstream.servers[1]: cannot resolve no-such-host.invalid:"), "\(command): \(output)")
            #expect(!output.contains("upstream.servers[0]"), "\(command): \(output)")
        }
    }

    /// A listener that cannot be bound is the file's problem: `run` names the key, its line and
    /// the address, and exits 1. NIO's own error named neither the listener nor the address.
    @Test(arguments: ["server.listen", "server.admin_listen"]) func runNamesTheListenerItCannotBind(key: String) async throws {
        let taken = try await TestUpstreamServer.start(behaviour: { _ in .respond() })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bind-\(UUID().uuidString).conf")
        let listen = key == "server.listen" ? taken.port : 0
        let admin = key == "server.admin_listen" ? taken.port : 0
        try """
        server:
          listen: "127.0.0.1:\(listen)"
          admin_listen: "127.0.0.1:\(admin)"
          access_log: off
        upstream:
          servers: ["http://127.0.0.1:\(taken.port)"]
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try await ChildProcess.run(BuiltProducts.gatehouse, ["run", "--config", file.path])
        #expect(status == 1, "\(output)")
        let line = key == "server.listen" ? 2 : 3
        #expect(output.contains(
            "\(file.path):\(line): \(key): cannot listen on 127.0.0.1:\(taken.port): Address already in use"
        ), "\(output)")
        try await taken.shutdown()
    }

    /// SIGHUP during start-up (logrotate, or `systemctl reload` racing a restart) is ignored:
    /// its default action ended the process (status 129) until the reload handler, installed
    /// once the listeners are up, took it over. Afterwards it reloads as before.
    @Test func aSIGHUPDuringStartUpDoesNotEndTheProcess() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        server:
          listen: "127.0.0.1:0"
          admin_listen: "127.0.0.1:0"
          access_log: off
        upstream:
          servers: ["http://127.0.0.1:\(try freeTCPPort())"]
        """.write(to: file, atomically: true, encoding: .utf8)
        let gatehouse = ChildProcess(BuiltProducts.gatehouse, ["run", "--config", file.path])
        try gatehouse.start()
        #expect(await gatehouse.waitForOutput(containing: "starting"))
        gatehouse.signal(SIGHUP)
        #expect(await gatehouse.waitForOutput(containing: "listener=admin"), "still starting after the SIGHUP")
        // The handler is installed just after the listeners: until it is, a SIGHUP is ignored.
        var reloaded = false
        for _ in 0..<100 where !reloaded {
            gatehouse.signal(SIGHUP)
            reloaded = await gatehouse.waitForOutput(containing: "SIGHUP: reloading config", timeout: .milliseconds(100))
        }
        #expect(reloaded)
        gatehouse.signal(SIGTERM)
        #expect(await gatehouse.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test func runServesTheDemoAPIAndDrainsOnSIGTERM() async throws {
        let (demo, demoPort) = try await Self.startDemoAPI()

        let gatehouse = try await GatehouseInstance.start(upstreamPort: demoPort)
        let proxyPort = gatehouse.port

        let response = try await TestHTTPClient.request(port: proxyPort, "GET", "/api/users/1")
        #expect(response.status == 200)
        #expect(response.header("via") == "1.1 gatehouse")
        let created = try await TestHTTPClient.request(
            port: proxyPort, "POST", "/api/users",
            headers: [("Content-Type", "application/json")],
            body: Array(#"{"name":"Ada","email":"ada-\#(UUID().uuidString)@example.com"}"#.utf8)
        )
        #expect(created.status == 201)
        #expect(created.header("location")?.hasPrefix("/api/users/") == true)

        #expect(await gatehouse.stop() == 0)
        demo.signal(SIGTERM)
        #expect(await demo.waitForExit(timeout: .seconds(30)) == 0)
    }

    /// `server.drain_timeout` is read when the drain starts, so a reload can change it: here
    /// from 60 s to 1 s, with a request that would take 20 s in flight at SIGTERM.
    @Test func aReloadedDrainTimeoutBoundsTheDrain() async throws {
        let (demo, demoPort) = try await Self.startDemoAPI()
        let gatehouse = try await GatehouseInstance.start(upstreamPort: demoPort, serverConfig: "  drain_timeout: 60s")
        let config = try String(contentsOf: gatehouse.configFile, encoding: .utf8)
        try config.replacingOccurrences(of: "drain_timeout: 60s", with: "drain_timeout: 1s")
            .write(to: gatehouse.configFile, atomically: true, encoding: .utf8)
        let reload = try await TestHTTPClient.request(port: gatehouse.adminPort, "POST", "/admin/reload")
        #expect(reload.status == 200, "\(reload.bodyString)")

        let connection = try await RawHTTPConnection.connect(port: gatehouse.port)
        try await connection.write("GET /delay/20000 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await Self.waitForOneRequestInFlight(adminPort: gatehouse.adminPort))
        let stopping = ContinuousClock.now
        #expect(await gatehouse.stop() == 0)
        #expect(ContinuousClock.now - stopping < .seconds(15), "the drain waited for the 20 s request")
        #expect(gatehouse.process.capturedOutput.contains("drain timeout reached"))
        demo.signal(SIGTERM)
        #expect(await demo.waitForExit(timeout: .seconds(30)) == 0)
    }

    /// A second SIGTERM during a drain stops at once: an operator pressing Ctrl-C twice, or a
    /// supervisor that will not wait out a 60 s `drain_timeout` for a 20 s request. The first
    /// one was ignored until the timeout.
    @Test func aSecondSignalDuringTheDrainStopsAtOnce() async throws {
        let (demo, demoPort) = try await Self.startDemoAPI()
        let gatehouse = try await GatehouseInstance.start(upstreamPort: demoPort, serverConfig: "  drain_timeout: 60s")
        let connection = try await RawHTTPConnection.connect(port: gatehouse.port)
        try await connection.write("GET /delay/20000 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await Self.waitForOneRequestInFlight(adminPort: gatehouse.adminPort))
        gatehouse.process.signal(SIGTERM)
        #expect(await gatehouse.process.waitForOutput(containing: "draining", timeout: .seconds(10)))
        let stopping = ContinuousClock.now
        gatehouse.process.signal(SIGTERM)
        #expect(await gatehouse.process.waitForExit(timeout: .seconds(30)) == 0)
        try? FileManager.default.removeItem(at: gatehouse.configFile)
        #expect(ContinuousClock.now - stopping < .seconds(15), "the drain waited for the 20 s request")
        #expect(gatehouse.process.capturedOutput.contains("drain cut short"))
        #expect(try await connection.waitForClose(timeout: .seconds(5)))
        demo.signal(SIGTERM)
        #expect(await demo.waitForExit(timeout: .seconds(30)) == 0)
    }

    /// Bounded polling: a request's arrival raises a gauge, and there is no event to wait on.
    static func waitForOneRequestInFlight(adminPort: Int) async throws -> Bool {
        for _ in 0..<200 {
            let metrics = try await TestHTTPClient.request(port: adminPort, "GET", "/metrics").bodyString
            if metrics.contains("\ngatehouse_requests_in_flight 1") { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The demo API on a free port, listening.
    static func startDemoAPI() async throws -> (ChildProcess, Int) {
        let port = try freeTCPPort()
        let demo = ChildProcess(BuiltProducts.demoAPI, ["--host", "127.0.0.1", "--port", "\(port)"])
        try demo.start()
        #expect(await demo.waitForOutput(containing: "demo-api listening"))
        return (demo, port)
    }
}
