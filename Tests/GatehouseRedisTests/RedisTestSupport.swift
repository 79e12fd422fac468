// RedisTestSupport: starts a real redis-server and a client on it, and always stops both.
import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import Logging
import NIOCore
import NIOPosix
import Testing

enum RedisTest {
    static let group = MultiThreadedEventLoopGroup.singleton

    static var quietLogger: Logger {
        var logger = Logger(label: "gatehouse.redis.test")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` with a fresh redis-server that is stopped afterwards, whatever `body` does.
    static func withServer<Result>(
        password: String? = nil,
        unixSocket: Bool = false,
        extraArguments: [String] = [],
        _ body: (RedisServerProcess) async throws -> Result
    ) async throws -> Result {
        try await RedisServerProcess.with(
            password: password, unixSocket: unixSocket, extraArguments: extraArguments, body
        )
    }

    /// A config pointing at `server` over TCP, or its unix socket when `unixSocket` is set.
    static func config(
        for server: RedisServerProcess,
        database: Int = 0,
        password: String? = nil,
        timeout: Duration = .seconds(2),
        poolSize: Int = 2,
        unixSocket: Bool = false
    ) -> RedisConfig {
        var config = RedisConfig()
        let transport: RedisEndpoint.Transport = if unixSocket, let path = server.unixSocketPath {
            .unix(path: path)
        } else {
            .tcp(host: "127.0.0.1", port: server.port)
        }
        config.url = RedisEndpoint(transport: transport, database: database, password: password ?? server.password)
        config.timeout = timeout
        config.poolSize = poolSize
        return config
    }

    /// A config pointing at a TCP port on 127.0.0.1 (for the fake server).
    static func config(for port: Int, poolSize: Int) -> RedisConfig {
        var config = RedisConfig()
        config.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: port), database: 0, password: nil)
        config.poolSize = poolSize
        return config
    }

    /// Runs `body` with a connected client, closed afterwards.
    static func withClient<Result>(
        _ config: RedisConfig,
        logger: Logger = quietLogger,
        onEvent: (@Sendable (RedisClientEvent) -> Void)? = nil,
        _ body: (RedisClient) async throws -> Result
    ) async throws -> Result {
        let client = RedisClient.connect(config: config, group: group, logger: logger, onEvent: onEvent)
        do {
            try #require(await client.waitUntilConnected(timeout: .seconds(5)), "client never connected")
            let result = try await body(client)
            try await client.close().get()
            return result
        } catch {
            try? await client.close().get()
            throw error
        }
    }

    /// Server + client in one: the common case.
    static func withRedis<Result>(
        poolSize: Int = 2,
        timeout: Duration = .seconds(2),
        extraArguments: [String] = [],
        _ body: (RedisClient, RedisServerProcess) async throws -> Result
    ) async throws -> Result {
        try await withServer(extraArguments: extraArguments) { server in
            try await withClient(config(for: server, timeout: timeout, poolSize: poolSize)) { client in
                try await body(client, server)
            }
        }
    }

    /// Sends until a command succeeds (bounded), for waiting out a reconnect.
    static func eventuallyPing(_ client: RedisClient, within limit: Duration) async -> Bool {
        await eventually(client, within: limit) { try await $0.ping().get() }
    }

    /// Tries `command` until it succeeds (bounded), waiting for a connection between tries.
    static func eventually(
        _ client: RedisClient, within limit: Duration, _ command: (RedisClient) async throws -> Void
    ) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            _ = await client.waitUntilConnected(timeout: deadline - clock.now)
            if (try? await command(client)) != nil { return true }
            // The connection that just failed may not have reported itself down yet.
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
