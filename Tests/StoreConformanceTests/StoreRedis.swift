// StoreRedis: a real redis-server and clients on it for the store suites, always stopped afterwards.

import GatehouseCore
import GatehouseRedis
import GatehouseTesting
import Logging
import NIOCore
import NIOPosix
import Testing

/// The client did not connect to a server that was ready.
struct NeverConnected: Error {
    var port: Int
}

enum StoreRedis {
    static let group = MultiThreadedEventLoopGroup.singleton

    /// The loop every suite completes its futures on (a real one, as the proxy's would be).
    static var loop: any EventLoop { group.next() }

    /// Runs `body` with a fresh redis-server that is stopped afterwards, whatever `body` does.
    static func withServer<Result>(_ body: (RedisServerProcess) async throws -> Result) async throws -> Result {
        try await RedisServerProcess.with(body)
    }

    /// A connected client on `server`; the caller closes it.
    static func connect(to server: RedisServerProcess, timeout: Duration = .seconds(2)) async throws -> RedisClient {
        var config = RedisConfig()
        config.url = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: server.port), database: 0, password: nil)
        config.timeout = timeout
        config.poolSize = 2
        var logger = Logger(label: "gatehouse.store.test")
        logger.logLevel = .critical
        let client = RedisClient.connect(config: config, group: group, logger: logger, onEvent: nil)
        guard await client.waitUntilConnected(timeout: .seconds(5)) else {
            try? await client.close().get()
            throw NeverConnected(port: server.port)
        }
        return client
    }

    /// Server plus `count` clients, all closed and stopped afterwards.
    static func withClients<Result>(
        _ count: Int = 1,
        _ body: ([RedisClient], RedisServerProcess) async throws -> Result
    ) async throws -> Result {
        try await withServer { server in
            var clients: [RedisClient] = []
            do {
                for _ in 0..<count {
                    clients.append(try await connect(to: server))
                }
                let result = try await body(clients, server)
                for client in clients { try? await client.close().get() }
                return result
            } catch {
                for client in clients { try? await client.close().get() }
                throw error
            }
        }
    }
}
