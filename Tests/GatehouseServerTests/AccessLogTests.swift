// AccessLogTests: one JSON line per request, whatever ended it; a broken destination fails nothing.
import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTesting
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite struct AccessLogTests {
    @Test func writesOneJSONLinePerRequest() async throws {
        let (proxy, upstream, file) = try await Self.startLogging(behaviour: { _ in .respond(body: Array("12345".utf8)) }) { config in
            config.server.maxBodyBytes = 10
        }
        defer { try? FileManager.default.removeItem(at: file) }
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

    /// Bytes that are no request get a JSON 400 before any head is read; its line counted the
    /// body it sent as 0 bytes.
    @Test func aRefusalOfBytesThatAreNoRequestLogsTheBytesItSent() async throws {
        let (proxy, upstream, file) = try await Self.startLogging(behaviour: { _ in .respond() })
        defer { try? FileManager.default.removeItem(at: file) }
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GARBAGE\r\n\r\n")
        let refused = try #require(try await connection.readResponse())
        #expect(refused.status == 400)
        try await connection.close()
        #expect(await proxy.server.drain(timeout: .seconds(5)))

        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        let line = try #require(try lines.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(line["status"] as? Int == 400)
        #expect(line["bytes"] as? Int == refused.body.count)
        #expect(refused.body.count > 0)
        try await upstream.shutdown()
    }

    /// A head refused after its request line was read (here `Content-Length` with
    /// `Transfer-Encoding`, a smuggling attempt, and a field line too long) is logged with that
    /// method and target, as nginx logs a 400 whose request line it read; bytes that are no
    /// request line still log `-`. Both were `-`, leaving an operator nothing to search by.
    @Test func aHeadRefusedAfterItsRequestLineIsLoggedWithIt() async throws {
        let (proxy, upstream, file) = try await Self.startLogging(behaviour: { _ in .respond() }) { config in
            config.server.maxHeaderBytes = 1024
        }
        defer { try? FileManager.default.removeItem(at: file) }
        for (request, status) in [
            ("POST /smuggle?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET /big HTTP/1.1\r\nHost: a\r\nX-Pad: \(String(repeating: "p", count: 2048))\r\n\r\n", 431),
            ("GARBAGE\r\n\r\n", 400),
        ] {
            let connection = try await RawHTTPConnection.connect(port: proxy.port)
            try await connection.write(request)
            #expect(try await connection.readResponse()?.status == status)
            try await connection.close()
        }
        #expect(await proxy.server.drain(timeout: .seconds(5)))

        let lines = try Self.loggedLines(in: file)
        #expect(lines.map { $0["status"] as? Int } == [400, 431, 400])
        #expect(lines.map { $0["method"] as? String } == ["POST", "GET", "-"])
        #expect(lines.map { $0["path"] as? String } == ["/smuggle?x=1", "/big", "-"])
        #expect(upstream.receivedRequests.isEmpty)
        try await upstream.shutdown()
    }

    /// A connection over `max_connections` is answered 503 before any request is read. It was
    /// counted in `gatehouse_requests_total` but got no access-log line: an operator reading the
    /// log saw none of the clients turned away under overload.
    @Test func aConnectionOverTheCapIsLogged() async throws {
        let (proxy, upstream, file) = try await Self.startLogging(behaviour: { _ in .respond() }) { config in
            config.server.maxConnections = 1
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let first = try await TestHTTPClient.connect(port: proxy.port)
        #expect(try await first.send("GET", "/").status == 200)
        let second = try await RawHTTPConnection.connect(port: proxy.port)
        let refused = try #require(try await second.readResponse())
        #expect(refused.status == 503)
        try await first.close()
        #expect(await proxy.server.drain(timeout: .seconds(5)))

        let lines = try Self.loggedLines(in: file)
        #expect(lines.count == 2)
        let line = try #require(lines.last)
        #expect(line["status"] as? Int == 503)
        #expect(line["client"] as? String == "127.0.0.1")
        #expect(line["bytes"] as? Int == refused.body.count)
        try await upstream.shutdown()
    }

    /// A client that vanishes with a TCP reset before its response (a killed browser tab, a
    /// load balancer giving up) is logged 499, as one that closes with a FIN is. The reset's I/O
    /// error closed the connection on a path that left the status unset: logged and counted 0.
    @Test func aClientResetBeforeItsResponseIsLogged499() async throws {
        let (proxy, upstream, file) = try await Self.startLogging(behaviour: { _ in .hang })
        defer { try? FileManager.default.removeItem(at: file) }
        let leaving = try await TestHTTPClient.connect(port: proxy.port)
        async let abandoned = leaving.send("GET", "/slow")
        #expect(await upstream.waitForRequests(1))
        try await leaving.reset()
        _ = try? await abandoned
        #expect(await proxy.server.drain(timeout: .seconds(5)))

        let lines = try Self.loggedLines(in: file)
        #expect(lines.count == 1)
        #expect(lines.first?["status"] as? Int == 499)
        #expect(lines.first?["path"] as? String == "/slow")
        try await upstream.shutdown()
    }

    /// At the drain's deadline a request still waiting for the origin is answered 503
    /// `UNAVAILABLE` with `Connection: close`, its connection closed after it, and it is logged
    /// 503: the proxy gave up on it. It used to be cut unanswered and logged 499, as if its
    /// client had left.
    @Test func theDrainDeadlineAnswersAWaitingRequest503() async throws {
        let (proxy, upstream, file) = try await Self.startLogging(behaviour: { _ in .hang })
        defer { try? FileManager.default.removeItem(at: file) }
        let waiting = try await RawHTTPConnection.connect(port: proxy.port)
        try await waiting.write("GET /waiting HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await upstream.waitForRequests(1))
        #expect(!(await proxy.server.drain(timeout: .milliseconds(300))))

        let answer = try #require(try await waiting.readResponse())
        #expect(answer.status == 503)
        #expect(answer.header("connection") == "close")
        #expect((answer.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "UNAVAILABLE")
        #expect(try await waiting.waitForClose(timeout: .seconds(5)))
        let lines = try Self.loggedLines(in: file)
        #expect(lines.count == 1)
        #expect(lines.first?["status"] as? Int == 503)
        #expect(lines.first?["path"] as? String == "/waiting")
        #expect(lines.first?["bytes"] as? Int == answer.body.count)
        try await upstream.shutdown()
    }

    /// A proxy logging to a file of its own (the caller removes it) in front of an origin
    /// behaving as `behaviour`.
    private static func startLogging(
        behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour,
        configure: (inout GatehouseConfig) -> Void = { _ in }
    ) async throws -> (ProxyHarness, TestUpstreamServer, URL) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log")
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: behaviour) { config in
            config.server.accessLog = .file(path: file.path)
            configure(&config)
        }
        return (proxy, upstream, file)
    }

    /// The file's lines, each parsed as the JSON object it must be.
    private static func loggedLines(in file: URL) throws -> [[String: Any]] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// logrotate renames the file, then sends SIGHUP: as nginx does, the reload opens the path
    /// again, so lines from then on go to a new file there, not on into the renamed one. It sends
    /// it whatever state the config file is in: a reload rejected for a mistake there still opens
    /// the path again (lines went on into the renamed file, which the next rotation compresses
    /// or deletes).
    @Test(arguments: [false, true]) func reloadReopensARenamedFile(fileBroken: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("access-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("access.log")
        let conf = directory.appendingPathComponent("proxy.conf")
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in .respond() })
        let text = """
        server:
          listen: "127.0.0.1:0"
          admin_listen: "127.0.0.1:0"
          access_log: "\(log.path)"
        upstream:
          servers: ["http://127.0.0.1:\(upstream.port)"]
        """
        try text.write(to: conf, atomically: true, encoding: .utf8)
        let initial = try ConfigLoader.load(path: conf.path)
        let proxy = try await ProxyHarness.start(upstreamPorts: [upstream.port], configPath: conf.path) { $0 = initial }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/before").status == 200)
        try FileManager.default.moveItem(at: log, to: directory.appendingPathComponent("access.log.1"))
        if fileBroken {
            try (text + "\n  bogus_key: 1\n").write(to: conf, atomically: true, encoding: .utf8)
        }
        #expect(await proxy.server.reload() == !fileBroken)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/after").status == 200)
        // Draining flushes and closes the current log.
        #expect(await proxy.server.drain(timeout: .seconds(5)))

        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let line = try #require(try lines.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(line["path"] as? String == "/after")
        try await upstream.shutdown()
    }

    /// A writer a reload left behind is closed by the last runtime that releases it: one leaked
    /// descriptor per reload otherwise.
    @Test func releasingAWriterClosesItsFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("access-release-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            let writer = try AccessLogWriter(destination: .file(path: file.path))
            #expect(writer.isEnabled)
            #expect(Self.openDescriptors(of: file.path) == 1)
        }
        #expect(Self.openDescriptors(of: file.path) == 0)
    }

    /// After `close()`, releasing the writer closes nothing more: its descriptor's number may
    /// already belong to another file.
    @Test func aClosedWriterDoesNotCloseAgainWhenReleased() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("access-closed-\(UUID().uuidString).log")
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("access-other-\(UUID().uuidString).log")
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: other)
        }
        var reused: Int32 = -1
        do {
            let writer = try AccessLogWriter(destination: .file(path: file.path))
            #expect(await writer.close(within: .seconds(10)))
            #expect(Self.openDescriptors(of: file.path) == 0)
            // The lowest free number: most likely the one the writer just closed.
            reused = open(other.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            try #require(reused >= 0)
        }
        defer { _ = Glibc.close(reused) }
        #expect(fcntl(reused, F_GETFD) != -1)
        #expect(Self.openDescriptors(of: other.path) == 1)
    }

    /// How many of this process's descriptors are open on `path`.
    private static func openDescriptors(of path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { entry in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry)) == path
        }.count
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
