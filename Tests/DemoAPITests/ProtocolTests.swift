// Routing errors and HTTP/1.1 connection handling.
import DemoAPI
import NIOCore
import NIOHTTP1
import Testing

@Suite("HTTP behaviour")
struct ProtocolTests {
    @Test(arguments: [
        (HTTPMethod.POST, "/api/users/1", "GET, HEAD, PUT, PATCH, DELETE"),
        (.DELETE, "/api/users", "GET, HEAD, POST"),
        (.GET, "/echo", "POST"),
        (.POST, "/health", "GET, HEAD"),
        (.PUT, "/bytes/10", "GET, HEAD"),
    ])
    func wrongMethodIs405WithAllow(method: HTTPMethod, path: String, allow: String) async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(method, path)
            #expect(response.status == .methodNotAllowed)
            #expect(response.header("Allow") == allow)
            #expect(try response.decode(ErrorEnvelope.self).error.code == "METHOD_NOT_ALLOWED")
        }
    }

    @Test(arguments: ["/", "/nope", "/api", "/api/users/1/extra", "/api/users/", "/bytes/", "/health/"])
    func unknownRouteIs404(path: String) async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get(path)
            #expect(response.status == .notFound)
            #expect(response.header("Content-Type") == "application/json")
            #expect(try response.decode(ErrorEnvelope.self).error.code == "NOT_FOUND")
        }
    }

    @Test func keepsConnectionAlive() async throws {
        try await withDemoAPI { client, _ in
            for id in 1...20 {
                let response = try await client.get("/api/users/\(id)")
                #expect(response.status == .ok)
                #expect(response.header("Connection") == nil)
            }
            #expect(client.channel.isActive)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get("/health", headers: [("Connection", "close")])
            #expect(response.status == .ok)
            #expect(response.header("Connection") == "close")
            try await client.channel.closeFuture.get()
        }
    }

    @Test func http10KeepAliveIsHonoured() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.GET, "/api/users/1", headers: [("Connection", "keep-alive")], version: .http1_0)
            #expect(response.status == .ok)
            #expect(response.header("Connection") == "keep-alive")
            #expect(try await client.get("/health").status == .ok)
        }
    }

    @Test func absoluteFormTargetIsRouted() async throws {
        try await withDemoAPI { client, port in
            let response = try await client.get("http://127.0.0.1:\(port)/api/users/2?x=1")
            #expect(try response.decode(UserEnvelope.self).data.id == 2)
        }
    }

    @Test func concurrentClientsAreServed() async throws {
        try await withDemoAPI { _, port in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let client = try await TestHTTPClient.connect(port: port)
                        var ok = 0
                        for round in 0..<25 {
                            let id = (worker * 25 + round) % 142 + 1
                            if try await client.get("/api/users/\(id)").status == .ok { ok += 1 }
                        }
                        await client.close()
                        return ok
                    }
                }
                var total = 0
                for try await ok in group { total += ok }
                #expect(total == 200)
            }
        }
    }

    @Test func shutdownClosesOpenConnections() async throws {
        // An unusual max-age tells this server's answers from those of other tests' servers.
        let marker = "max-age=4321"
        let server = DemoAPIServer(configuration: DemoAPIConfiguration(maxAge: 4321), eventLoopGroup: NIOSingletons.posixEventLoopGroup)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let client = try await TestHTTPClient.connect(port: port)
        #expect(try await client.get("/api/users/1").header("Cache-Control")?.contains(marker) == true)
        try await server.shutdown()
        try await client.channel.closeFuture.get()
        // The listener is gone: a new connection is refused. Unless the kernel already gave the
        // freed port to a listener of a test running in parallel (it does, at once, on this
        // machine's kernel); then what must hold is that this server does not answer on it.
        if let stranger = try? await TestHTTPClient.connect(port: port) {
            let cacheControl = await Self.cacheControl(from: stranger, within: .seconds(2))
            #expect(cacheControl?.contains(marker) != true)
        }
        await #expect(throws: DemoAPIServerError.alreadyStarted) {
            _ = try await server.start(host: "127.0.0.1", port: 0)
        }
    }

    /// The `Cache-Control` of `/api/users/1` as `client` gets it (closing it), or nil when no
    /// answer comes within `limit` (a listener that accepts and never answers).
    private static func cacheControl(from client: TestHTTPClient, within limit: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { try? await client.get("/api/users/1").header("Cache-Control") }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            await client.close()
            return first
        }
    }
}
