// RedisScaleOutTests: two gatehouse processes on one Redis act as one proxy — one set of limits,
// one cache — and ride out Redis being killed and restarted.
import Foundation
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite(.serialized) struct RedisScaleOutTests {
    /// Redis for the cache (with a namespace that writes under `/api/items` invalidate) and, with
    /// `policyLimit`, for one per-IP rate limit.
    private static func redisConfig(_ redis: RedisServerProcess, policyLimit: Int?, timeout: String = "250ms") -> String {
        var config = """
        redis:
          url: "redis://127.0.0.1:\(redis.port)/0"
          timeout: \(timeout)
          key_prefix: "gh-test-\(UUID().uuidString.prefix(8)):"
        cache:
          store: redis
          rules:
            - path_prefix: /api/items
              namespace: items
              invalidated_by: [/api/items]

        """
        if let policyLimit {
            config += """
            rate_limits:
              store: redis
              on_store_error: allow
              policies:
                - name: per-ip
                  key: ip
                  limit: \(policyLimit)
                  window: 1m

            """
        }
        return config
    }

    /// An origin whose GETs answer `v1`, `v2`, …: the number of writes (answered 204) so far, plus one.
    private static func versionedUpstream() async throws -> TestUpstreamServer {
        let version = NIOLockedValueBox(1)
        return try await TestUpstreamServer.start(behaviour: { request in
            if request.method != "GET" {
                version.withLockedValue { $0 += 1 }
                return .respond(status: 204)
            }
            return .respond(headers: [("Cache-Control", "max-age=60")], body: Array("v\(version.withLockedValue { $0 })".utf8))
        })
    }

    private static func waitForRedis(_ instance: GatehouseInstance, connected: Bool) async -> Bool {
        // Bounded: the client reconnects with backoff (at most 2 s between attempts).
        for _ in 0..<100 {
            if let health = try? await TestHTTPClient.request(port: instance.adminPort, "GET", "/health"),
               ((health.jsonObject()?["checks"] as? [String: Any])?["cache"] as? String) == (connected ? "connected" : "disconnected")
            {
                return true
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Whether `instance` has stored `count` entries within 10 s: an entry reaches Redis after its
    /// response has ended (the first one loads the store script too), and is counted once it is in.
    private static func waitForStores(_ instance: GatehouseInstance, _ count: Int) async throws -> Bool {
        try await Polling.until {
            let metrics = try await TestHTTPClient.request(port: instance.adminPort, "GET", "/metrics").bodyString
            return metrics.contains("\ngatehouse_cache_stores_total \(count)\n")
        }
    }

    /// A request waiting on Redis (its rate limit, then its cache lookup) leaves the connection
    /// readable: requests pipelined behind it are read meanwhile, queued, and answered in order.
    @Test func pipelinedRequestsWaitingOnRedisAreAnsweredInOrder() async throws {
        let redis = try await RedisServerProcess.start()
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            .respond(headers: [("Cache-Control", "max-age=60")], body: Array("body of \(request.uri)".utf8))
        })
        let instance = try await GatehouseInstance.start(
            upstreamPort: upstream.port, extraConfig: Self.redisConfig(redis, policyLimit: 1000)
        )
        #expect(await Self.waitForRedis(instance, connected: true))
        let connection = try await RawHTTPConnection.connect(port: instance.port)
        let paths = ["/p/1", "/p/2", "/p/1", "/p/3", "/p/2"]
        let requests = paths.map { "GET \($0) HTTP/1.1\r\nHost: api.example.test\r\n\r\n" }
        // The first alone, then the rest: usually a second read, arriving while the first waits.
        try await connection.write(requests[0])
        try await connection.write(requests.dropFirst().joined())
        for path in paths {
            let response = try #require(try await connection.readResponse())
            #expect(response.status == 200)
            #expect(response.bodyString == "body of \(path)")
            #expect(response.header("ratelimit-policy") != nil)
        }
        try await connection.close()
        #expect(await instance.stop() == 0, "\(instance.process.capturedOutput)")
        try await upstream.shutdown()
        await redis.stop()
    }

    /// Variants (`Vary`) live in Redis too: each instance serves the variant the request
    /// selects, whichever instance stored it, and a new variant goes upstream.
    @Test func variantsAreSharedAndSelectedByTheRequest() async throws {
        let redis = try await RedisServerProcess.start()
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            let language = request.header("accept-language") ?? "none"
            return .respond(
                headers: [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")],
                body: Array("lang=\(language)".utf8)
            )
        })
        let config = Self.redisConfig(redis, policyLimit: 1000)
        let a = try await GatehouseInstance.start(upstreamPort: upstream.port, extraConfig: config)
        let b = try await GatehouseInstance.start(upstreamPort: upstream.port, extraConfig: config)
        #expect(await Self.waitForRedis(a, connected: true))
        #expect(await Self.waitForRedis(b, connected: true))

        func get(_ instance: GatehouseInstance, _ language: String) async throws -> TestHTTPResponse {
            try await TestHTTPClient.request(
                port: instance.port, "GET", "/v", headers: [("Host", "api.example.test"), ("Accept-Language", language)]
            )
        }
        #expect(try await get(a, "en").bodyString == "lang=en")
        #expect(try await get(a, "fr").bodyString == "lang=fr")
        #expect(upstream.requestCount == 2)
        #expect(try await Self.waitForStores(a, 2))
        for language in ["fr", "en", "fr"] {
            let hit = try await get(b, language)
            #expect(hit.bodyString == "lang=\(language)")
            #expect(hit.header("cache-status")?.contains("hit") == true)
        }
        #expect(upstream.requestCount == 2)
        let other = try await get(b, "de")
        #expect(other.bodyString == "lang=de")
        #expect(other.header("cache-status")?.contains("fwd=vary-miss") == true)
        #expect(upstream.requestCount == 3)
        #expect(await a.stop() == 0, "\(a.process.capturedOutput)")
        #expect(await b.stop() == 0, "\(b.process.capturedOutput)")
        try await upstream.shutdown()
        await redis.stop()
    }

    @Test func twoInstancesShareLimitsAndCache() async throws {
        let redis = try await RedisServerProcess.start()
        let upstream = try await Self.versionedUpstream()
        let config = Self.redisConfig(redis, policyLimit: 6)
        let a = try await GatehouseInstance.start(upstreamPort: upstream.port, extraConfig: config)
        let b = try await GatehouseInstance.start(upstreamPort: upstream.port, extraConfig: config)
        #expect(await Self.waitForRedis(a, connected: true))
        #expect(await Self.waitForRedis(b, connected: true))

        // Both instances serve one site: the same Host reaches either (as behind a load balancer).
        let host = [("Host", "api.example.test")]
        // One cache: stored through A, a hit through B.
        let stored = try await TestHTTPClient.request(port: a.port, "GET", "/api/items/1", headers: host)
        #expect(stored.bodyString == "v1")
        #expect(try await Self.waitForStores(a, 1))
        let shared = try await TestHTTPClient.request(port: b.port, "GET", "/api/items/1", headers: host)
        #expect(shared.bodyString == "v1")
        #expect(shared.header("cache-status")?.contains("hit") == true)
        // A write through B invalidates what A serves.
        #expect(try await TestHTTPClient.request(port: b.port, "PUT", "/api/items/1", headers: host, body: [1]).status == 204)
        let fresh = try await TestHTTPClient.request(port: a.port, "GET", "/api/items/1", headers: host)
        #expect(fresh.bodyString == "v2")

        // One set of limits: 6 per minute in total across both (4 requests above counted too).
        var statuses: [Int] = []
        for index in 0..<4 {
            let instance = index % 2 == 0 ? a : b
            statuses.append(try await TestHTTPClient.request(port: instance.port, "GET", "/other").status)
        }
        #expect(statuses.filter { $0 == 200 }.count == 2)
        #expect(statuses.filter { $0 == 429 }.count == 2)

        let exitA = await a.stop()
        let exitB = await b.stop()
        #expect(exitA == 0, "\(a.process.capturedOutput)")
        #expect(exitB == 0, "\(b.process.capturedOutput)")
        try await upstream.shutdown()
        await redis.stop()
    }

    /// The invalidation of a write takes round trips to Redis; the write's response must not go
    /// out before they are done. Redis is told to hold back writes (its purge script among them)
    /// for half a second while reads go on, so without that hold the read through the other
    /// instance, made as soon as the write is answered, would find the old version still there.
    @Test func aReadRightAfterAWriteThroughTheOtherInstanceGetsTheNewVersion() async throws {
        let redis = try await RedisServerProcess.start()
        let upstream = try await Self.versionedUpstream()
        // Nothing but the cache on Redis: a rate-limit check is a write, and would wait out the
        // pause below in front of the read.
        let config = Self.redisConfig(redis, policyLimit: nil, timeout: "3s")
        let a = try await GatehouseInstance.start(upstreamPort: upstream.port, extraConfig: config)
        let b = try await GatehouseInstance.start(upstreamPort: upstream.port, extraConfig: config)
        #expect(await Self.waitForRedis(a, connected: true))
        #expect(await Self.waitForRedis(b, connected: true))
        let host = [("Host", "api.example.test")]
        #expect(try await TestHTTPClient.request(port: a.port, "GET", "/api/items/7", headers: host).bodyString == "v1")
        #expect(try await Self.waitForStores(a, 1))
        let hit = try await TestHTTPClient.request(port: b.port, "GET", "/api/items/7", headers: host)
        #expect(hit.header("cache-status")?.contains("hit") == true)

        // A raw connection: the reply is not waited for (RESP is plain bytes on the wire).
        let pause = try await RawHTTPConnection.connect(port: redis.port)
        try await pause.write("*4\r\n$6\r\nCLIENT\r\n$5\r\nPAUSE\r\n$3\r\n500\r\n$5\r\nWRITE\r\n")
        #expect(try await TestHTTPClient.request(port: b.port, "PUT", "/api/items/7", headers: host, body: [1]).status == 204)
        let read = try await TestHTTPClient.request(port: a.port, "GET", "/api/items/7", headers: host)
        #expect(read.bodyString == "v2")
        try await pause.close()

        #expect(await a.stop() == 0, "\(a.process.capturedOutput)")
        #expect(await b.stop() == 0, "\(b.process.capturedOutput)")
        try await upstream.shutdown()
        await redis.stop()
    }

    @Test func redisKilledUnderLoadCausesNo5xxAndRecovers() async throws {
        let redis = try await RedisServerProcess.start()
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60")], body: Array("item".utf8))
        })
        let instance = try await GatehouseInstance.start(
            upstreamPort: upstream.port, extraConfig: Self.redisConfig(redis, policyLimit: 1_000_000)
        )
        #expect(await Self.waitForRedis(instance, connected: true))

        let statuses = NIOLockedValueBox<[Int]>([])
        let stop = NIOLockedValueBox(false)
        async let load: Void = withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    let client = try await TestHTTPClient.connect(port: instance.port)
                    var index = 0
                    while !stop.withLockedValue({ $0 }) && index < 50_000 {
                        let response = try await client.send("GET", "/api/items/\(worker * 10_000 + index % 50)")
                        statuses.withLockedValue { $0.append(response.status) }
                        index += 1
                    }
                    try await client.close()
                }
            }
            try await group.waitForAll()
        }
        // Each phase lasts until the load has been served through it, however slow the machine.
        let served: (Int) async throws -> Bool = { count in try await Polling.until { statuses.withLockedValue(\.count) >= count } }
        #expect(try await served(20), "before the kill")
        await redis.kill()
        #expect(await Self.waitForRedis(instance, connected: false))
        let health = try await TestHTTPClient.request(port: instance.adminPort, "GET", "/health")
        #expect(health.status == 200)
        #expect(health.jsonObject()?["status"] as? String == "degraded")
        #expect(try await served(statuses.withLockedValue(\.count) + 20), "while Redis is down")
        try await redis.restart()
        #expect(await Self.waitForRedis(instance, connected: true))
        #expect(try await served(statuses.withLockedValue(\.count) + 20), "after the restart")
        stop.withLockedValue { $0 = true }
        try await load

        let all = statuses.withLockedValue { $0 }
        #expect(all.count > 20)
        #expect(all.allSatisfy { $0 == 200 }, "statuses: \(Set(all))")
        // Back to sharing: a stored entry is served from Redis again (written there once its
        // response has ended, so asked for until it is).
        _ = try await TestHTTPClient.request(port: instance.port, "GET", "/api/items/after")
        #expect(try await Polling.until {
            try await TestHTTPClient.request(port: instance.port, "GET", "/api/items/after").header("cache-status")?.contains("hit") == true
        })
        let metrics = try await TestHTTPClient.request(port: instance.adminPort, "GET", "/metrics").bodyString
        #expect(metrics.contains("gatehouse_redis_up 1"))
        #expect(await instance.stop() == 0)
        try await upstream.shutdown()
        await redis.stop()
    }
}

@Suite struct RedisKeepAliveTests {
    /// Answers that wait on Redis (asynchronous lookups) must not stall the next request on the
    /// same keep-alive connection.
    @Test func keepAliveConnectionsKeepFlowingWithARemoteStore() async throws {
        let redis = try await RedisServerProcess.start()
        let upstream = try await TestUpstreamServer.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=60")], body: Array("item".utf8))
        })
        let instance = try await GatehouseInstance.start(upstreamPort: upstream.port, extraConfig: """
        redis:
          url: "redis://127.0.0.1:\(redis.port)/0"
        cache:
          store: redis
        rate_limits:
          store: redis
          policies:
            - name: per-ip
              key: ip
              limit: 1000
              window: 1m
        """)
        let client = try await TestHTTPClient.connect(port: instance.port)
        for _ in 0..<20 {
            let response = try await client.send("GET", "/item", timeout: .seconds(5))
            #expect(response.status == 200)
        }
        let last = try await client.send("GET", "/item", timeout: .seconds(5))
        #expect(last.header("cache-status")?.contains("hit") == true)
        try await client.close()
        #expect(await instance.stop() == 0)
        try await upstream.shutdown()
        await redis.stop()
    }
}
