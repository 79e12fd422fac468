// RedisFailureTests: slow, dead, restarted and babbling servers; the client never hangs.
import GatehouseCore
import GatehouseRedis
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Testing

@Suite struct RedisFailureTests {
    @Test func slowReplyTimesOutAndTheConnectionIsReplaced() async throws {
        try await RedisTest.withRedis(
            poolSize: 1, timeout: .milliseconds(100), extraArguments: ["--enable-debug-command", "yes"]
        ) { client, _ in
            let clock = ContinuousClock()
            let start = clock.now
            let slow = client.send(["DEBUG", "SLEEP", "1"])
            let behind = client.send(["PING"])
            await #expect(throws: RedisError.timeout) { try await slow.get() }
            // Well before the reply could have come (generous: other suites may load the cores).
            #expect(clock.now - start < .milliseconds(900))
            // Queued behind the late reply on the same connection: cannot be trusted either.
            await #expect(throws: RedisError.connectionClosed) { try await behind.get() }
            #expect(await RedisTest.eventuallyPing(client, within: .seconds(5)))
            #expect(client.stats.errorsTotal >= 2)
            #expect(client.stats.connectsTotal >= 2)
        }
    }

    /// A Redis that stops answering while no command is in flight: the pool used to read up for
    /// as long as nothing was sent (so /health said connected), and each next command paid the
    /// timeout to find out. Idle connections are PINGed, so the pool goes down on its own.
    @Test func aHungRedisIsNoticedWithoutTraffic() async throws {
        try await RedisTest.withServer(extraArguments: ["--enable-debug-command", "yes"]) { server in
            let down = RedisTest.group.any().makePromise(of: Void.self)
            let config = RedisTest.config(for: server, timeout: .milliseconds(200), poolSize: 2)
            try await RedisTest.withClient(config, onEvent: { event in
                if case .disconnected = event { down.succeed() }
            }) { client in
                let other = RedisTest.config(for: server, timeout: .seconds(20), poolSize: 1)
                try await RedisTest.withClient(other) { other in
                    // Blocks the whole server, this client's idle connections included.
                    let sleeping = other.send(["DEBUG", "SLEEP", "4"])
                    // A heartbeat comes within a second and fails 200 ms later; the rest is margin.
                    let timer = down.futureResult.eventLoop.scheduleTask(in: .milliseconds(3500)) { down.fail(RedisError.timeout) }
                    await #expect(throws: Never.self) { try await down.futureResult.get() }
                    timer.cancel()
                    _ = try? await sleeping.get()
                }
                #expect(await RedisTest.eventuallyPing(client, within: .seconds(5)))
            }
        }
    }

    /// A failover demotes the primary to a replica and points the name clients use at the new
    /// primary (DNS, here a symlinked unix socket). The connection to the old primary stayed up
    /// (Redis keeps its clients when it becomes a replica), so every write failed READONLY until
    /// a restart. A READONLY reply now replaces the connection.
    @Test func aPrimaryDemotedToReplicaIsLeftForWhereItsNamePointsNow() async throws {
        try await RedisTest.withServer(unixSocket: true) { old in
            // A primary with a replica waits for it on SIGTERM (`shutdown-timeout`): not here.
            try await RedisTest.withServer(unixSocket: true, extraArguments: ["--shutdown-timeout", "0"]) { new in
                let link = "/tmp/gatehouse-redis-link-\(getpid())-\(old.port).sock"
                try #require(symlink(try #require(old.unixSocketPath), link) == 0)
                defer { unlink(link) }
                var config = RedisConfig()
                config.url = RedisEndpoint(transport: .unix(path: link), database: 0, password: nil)
                config.poolSize = 1
                try await RedisTest.withClient(config) { client in
                    try await client.set("k", to: "before").get()
                    try await RedisTest.withClient(RedisTest.config(for: old, poolSize: 1)) { admin in
                        _ = try await admin.send(["REPLICAOF", "127.0.0.1", .integer(new.port)]).get()
                    }
                    unlink(link)
                    try #require(symlink(try #require(new.unixSocketPath), link) == 0)
                    await #expect(throws: RedisError.self) { try await client.set("k", to: "after").get() }
                    #expect(await RedisTest.eventually(client, within: .seconds(5)) { try await $0.set("k", to: "after").get() })
                    #expect(try await client.get("k").get().map { String(buffer: $0) } == "after")
                }
            }
        }
    }

    @Test func killedRedisFailsFastThenRecoversAfterRestart() async throws {
        try await RedisTest.withServer { server in
            // A long command timeout, so failing fast cannot be mistaken for timing out.
            let config = RedisTest.config(for: server, timeout: .seconds(10), poolSize: 2)
            try await RedisTest.withClient(config) { client in
                try await client.set("before", to: "kill").get()
                let inFlight = (0..<100).map { _ in client.incr("n") }
                await server.kill()
                // Each in-flight command completes one way or the other, long before the timeout.
                let clock = ContinuousClock()
                let start = clock.now
                for future in inFlight { _ = try? await future.get() }
                #expect(clock.now - start < .seconds(3))

                let failStart = clock.now
                await #expect(throws: RedisError.self) { try await client.ping().get() }
                #expect(clock.now - failStart < .seconds(3))
                // Once the client has noticed, commands are refused without touching the network.
                var noticed = false
                for _ in 0..<300 where !noticed {
                    noticed = !client.isConnected
                    if !noticed { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(noticed)
                await #expect(throws: RedisError.unavailable) { try await client.get("before").get() }

                try await server.restart()
                let recoveryStart = clock.now
                #expect(await RedisTest.eventuallyPing(client, within: .seconds(5)))
                print("redis reconnect after restart: \(clock.now - recoveryStart)")
                try await client.set("after", to: "restart").get()
                #expect(try await client.get("after").get().map { String(buffer: $0) } == "restart")
            }
        }
    }

    @Test func clientStartedBeforeRedisConnectsWhenItComes() async throws {
        try await RedisTest.withServer { server in
            await server.stop()
            let client = RedisClient.connect(
                config: RedisTest.config(for: server, poolSize: 1), group: RedisTest.group, logger: RedisTest.quietLogger
            )
            await #expect(throws: RedisError.unavailable) { try await client.ping().get() }
            try await server.restart()
            #expect(await client.waitUntilConnected(timeout: .seconds(5)))
            try await client.ping().get()
            try await client.close().get()
        }
    }

    @Test func garbageFromTheServerReplacesTheConnection() async throws {
        let server = try await FakeRedisServer.start(group: RedisTest.group)
        do {
            var config = RedisTest.config(for: server.port, poolSize: 1)
            config.timeout = .seconds(2)
            try await RedisTest.withClient(config) { client in
                try await client.ping().get()
                await #expect {
                    try await client.send(["GARBAGE"]).get()
                } throws: { error in
                    guard case RedisError.protocolError = error else { return false }
                    return true
                }
                #expect(await RedisTest.eventuallyPing(client, within: .seconds(5)))
                #expect(client.stats.connectsTotal == 2)
            }
            try await server.close()
        } catch {
            try? await server.close()
            throw error
        }
    }
}
