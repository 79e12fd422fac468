// ReloadRedisLinkTests: a reload that changes `redis:` swaps in a client that can already serve.
import Foundation
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import Testing

@Suite struct ReloadRedisLinkTests {
    /// A change under `redis:` (here the key prefix) makes a new client, which connects in the
    /// background. Swapped in before its first connection was up, it failed every request in
    /// between: 503 under `on_store_error: deny`, with Redis healthy all along.
    @Test func reloadsThatReplaceTheRedisClientFailNoRequest() async throws {
        try await RedisServerProcess.with { redis in
            let upstream = try await TestUpstreamServer.start(behaviour: { _ in .respond(body: Array("ok".utf8)) })
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-redis-\(UUID().uuidString).conf")
            defer { try? FileManager.default.removeItem(at: file) }
            let text = { (prefix: String) in
                StoreReloadConfigText.make(
                    upstream: upstream.port, redis: redis.port, prefix: prefix,
                    rateLimits: """
                      store: redis
                      on_store_error: deny
                      policies:
                        - {name: per-ip, key: ip, limit: 1000000, window: 1m}
                    """,
                    cache: "  store: off"
                )
            }
            try text("first:").write(to: file, atomically: true, encoding: .utf8)
            let initial = try ConfigLoader.load(path: file.path)
            let proxy = try await ProxyHarness.start(upstreamPorts: [upstream.port], configPath: file.path) { $0 = initial }
            #expect(try await proxy.waitForGauge("gatehouse_redis_up", toRead: 1))
            // Loads the script into this fresh Redis: requests racing its NOSCRIPT round trips
            // against a reload are not what this test is about.
            #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)

            let reloading = NIOLockedValueBox(true)
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let client = try await TestHTTPClient.connect(port: proxy.port)
                        var statuses: [Int] = []
                        while reloading.withLockedValue({ $0 }) {
                            statuses.append(try await client.send("GET", "/").status)
                        }
                        try await client.close()
                        return statuses
                    }
                }
                group.addTask {
                    defer { reloading.withLockedValue { $0 = false } }
                    for round in 0..<6 {
                        try text("round\(round):").write(to: file, atomically: true, encoding: .utf8)
                        #expect(await proxy.server.reload())
                    }
                    return []
                }
                var all: [Int] = []
                for try await part in group { all.append(contentsOf: part) }
                return all
            }
            #expect(!statuses.isEmpty)
            #expect(statuses.filter { $0 != 200 }.isEmpty, "\(statuses.filter { $0 != 200 }.count) of \(statuses.count) refused")
            try await proxy.stop()
            try await upstream.shutdown()
        }
    }
}
