// RedisConnectionOptionsTests: AUTH and SELECT from the URL, and unix sockets.
import GatehouseCore
import GatehouseRedis
import Testing

@Suite struct RedisConnectionOptionsTests {
    @Test func authenticatesWithThePassword() async throws {
        try await RedisTest.withServer(password: "s3cret pass") { server in
            try await RedisTest.withClient(RedisTest.config(for: server)) { client in
                try await client.set("guarded", to: "yes").get()
                #expect(try await client.get("guarded").get().map { String(buffer: $0) } == "yes")
            }
        }
    }

    // The time limit bounds the wait for the refused handshake's event below.
    @Test(.timeLimit(.minutes(1))) func wrongPasswordNeverConnects() async throws {
        try await RedisTest.withServer(password: "right") { server in
            let (failures, failed) = AsyncStream.makeStream(of: RedisError.self)
            let client = RedisClient.connect(
                config: RedisTest.config(for: server, password: "wrong", poolSize: 1),
                group: RedisTest.group,
                logger: RedisTest.quietLogger,
                onEvent: { event in
                    if case .connectFailed(_, let error) = event {
                        failed.yield(error)
                    }
                }
            )
            #expect(await !client.waitUntilConnected(timeout: .milliseconds(300)))
            await #expect(throws: RedisError.unavailable) { try await client.ping().get() }
            // Waited for, not looked up: on a loaded machine the refusal can come after the 300 ms.
            var seen: [RedisError] = []
            for await error in failures {
                seen.append(error)
                if case .handshakeFailed = error { break }
            }
            #expect(seen.contains { if case .handshakeFailed = $0 { true } else { false } })
            #expect(client.stats.errorsTotal >= seen.count)
            failed.finish()
            try await client.close().get()
        }
    }

    @Test func selectsTheDatabase() async throws {
        try await RedisTest.withServer { server in
            try await RedisTest.withClient(RedisTest.config(for: server, database: 1)) { db1 in
                try await RedisTest.withClient(RedisTest.config(for: server, database: 0)) { db0 in
                    try await db1.set("where", to: "db1").get()
                    #expect(try await db1.get("where").get().map { String(buffer: $0) } == "db1")
                    #expect(try await db0.get("where").get() == nil)
                }
            }
        }
    }

    @Test func connectsOverAUnixSocket() async throws {
        try await RedisTest.withServer(unixSocket: true) { server in
            let config = RedisTest.config(for: server, database: 2, unixSocket: true)
            guard case .unix = config.url.transport else {
                Issue.record("expected a unix socket endpoint")
                return
            }
            try await RedisTest.withClient(config) { client in
                try await client.set("via", to: "socket").get()
                #expect(try await client.get("via").get().map { String(buffer: $0) } == "socket")
            }
        }
    }
}
