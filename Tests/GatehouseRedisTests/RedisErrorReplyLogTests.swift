// RedisErrorReplyLogTests: what Redis answers with errors reaches the log, at most once per interval.
import GatehouseRedis
import Logging
import Testing

/// An out-of-memory (or read-only) Redis failed every write while its connections stayed up:
/// the requests were refused per `on_store_error` and nothing in the log said why.
@Suite struct RedisErrorReplyLogTests {
    @Test func errorRepliesAreLoggedAtMostOncePerInterval() async throws {
        try await RedisTest.withServer { server in
            let log = CapturedLog()
            try await RedisTest.withClient(RedisTest.config(for: server, poolSize: 1), logger: log.logger) { client in
                _ = try await client.send(["CONFIG", "SET", "maxmemory-policy", "noeviction"]).get()
                _ = try await client.send(["CONFIG", "SET", "maxmemory", "1"]).get()
                for _ in 0..<3 {
                    await #expect(throws: RedisError.self) { try await client.set("k", to: "v").get() }
                }
                _ = try await client.send(["CONFIG", "SET", "maxmemory", "0"]).get()
                let warnings = log.lines.filter { $0.level == .warning && $0.message.contains("OOM") }
                #expect(warnings.count == 1, "\(log.lines.map(\.message))")
            }
        }
    }
}
