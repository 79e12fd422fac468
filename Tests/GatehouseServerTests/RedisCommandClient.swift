// RedisCommandClient: a one-connection client of a test's own, to act on the proxies' Redis directly.
import GatehouseCore
import GatehouseRedis
import NIOPosix
import Testing

enum RedisCommandClient {
    /// Runs `body` with a client on `endpoint`, closed afterwards; what `body` throws is recorded
    /// as an issue, so the caller still stops its proxies.
    static func with(_ endpoint: RedisEndpoint, _ body: (RedisClient) async throws -> Void) async {
        var config = RedisConfig()
        config.url = endpoint
        config.poolSize = 1
        // Setup commands may be slow on purpose (DEBUG SLEEP); never the thing a test times.
        config.timeout = .seconds(5)
        let client = RedisClient.connect(config: config, group: MultiThreadedEventLoopGroup.singleton)
        do {
            #expect(await client.waitUntilConnected(timeout: .seconds(10)))
            try await body(client)
        } catch {
            Issue.record(error)
        }
        try? await client.close().get()
    }
}
