// RedisPipeliningTests: many commands in flight at once, each answered with its own reply.
import GatehouseRedis
import NIOCore
import Testing

@Suite struct RedisPipeliningTests {
    @Test func thousandCommandsFromSeveralTasks() async throws {
        try await RedisTest.withRedis(poolSize: 2) { client, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<10 {
                    group.addTask {
                        // 50 SETs then 50 GETs per task, all sent before any reply is awaited.
                        let sets = (0..<50).map { client.set("k\(task):\($0)", to: "v\(task):\($0)") }
                        for set in sets { try await set.get() }
                        let gets = (0..<50).map { client.get("k\(task):\($0)") }
                        for (index, get) in gets.enumerated() {
                            let value = try await get.get().map { String(buffer: $0) }
                            #expect(value == "v\(task):\(index)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(client.stats.errorsTotal == 0)
        }
    }

    @Test func sendingFromAnEventLoopUsesItsConnection() async throws {
        try await RedisTest.withRedis(poolSize: 4) { client, _ in
            let loop = RedisTest.group.next()
            let replies = try await loop.flatSubmit {
                let futures = (0..<100).map { _ in client.incr("on-loop", on: loop) }
                let completedOnLoop = futures.map { future in future.map { _ in loop.inEventLoop } }
                return EventLoopFuture.whenAllSucceed(futures, on: loop)
                    .and(EventLoopFuture.whenAllSucceed(completedOnLoop, on: loop))
            }.get()
            // Spread over this loop's connections, so only the set of values is fixed, not their order.
            #expect(replies.0.sorted() == Array(1...100))
            #expect(replies.1.allSatisfy { $0 })
        }
    }

    /// Not a benchmark gate: prints pipelined throughput (debug build) for the report.
    @Test func pipelinedThroughput() async throws {
        try await RedisTest.withRedis(poolSize: 2) { client, _ in
            var value = ByteBuffer()
            value.writeRepeatingByte(0x61, count: 1024)
            try await client.set("bench", to: .buffer(value)).get()
            let count = 10_000
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            var window: [EventLoopFuture<ByteBuffer?>] = []
                            for _ in 0..<(count / 8) {
                                window.append(client.get("bench"))
                                if window.count == 256 {
                                    for future in window { _ = try await future.get() }
                                    window.removeAll(keepingCapacity: true)
                                }
                            }
                            for future in window { _ = try await future.get() }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("redis pipelined GET 1 KiB: \(count) in \(elapsed) = \(Int(Double(count) / seconds)) ops/s")
            #expect(client.stats.errorsTotal == 0)
        }
    }

    /// Not a benchmark gate: the server's shape, commands sent and completed on the loop that owns
    /// the connections, 256 in flight.
    @Test func pipelinedThroughputOnTheEventLoop() async throws {
        try await RedisTest.withRedis(poolSize: 2) { client, _ in
            var value = ByteBuffer()
            value.writeRepeatingByte(0x61, count: 1024)
            try await client.set("bench", to: .buffer(value)).get()
            let loop = RedisTest.group.next()
            let count = 30_000
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                try await loop.flatSubmit {
                    LoopPump(client: client, loop: loop, total: count, window: 256).run()
                }.get()
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("redis pipelined GET 1 KiB on the event loop: \(count) in \(elapsed) = \(Int(Double(count) / seconds)) ops/s")
            #expect(client.stats.errorsTotal == 0)
        }
    }

    @Test func closeLetsInFlightRepliesArrive() async throws {
        try await RedisTest.withServer { server in
            let client = RedisClient.connect(
                config: RedisTest.config(for: server, poolSize: 1), group: RedisTest.group, logger: RedisTest.quietLogger
            )
            #expect(await client.waitUntilConnected(timeout: .seconds(5)))
            let inFlight = (0..<200).map { _ in client.incr("closing") }
            try await client.close().get()
            var results: [Int] = []
            for future in inFlight { results.append(try await future.get()) }
            #expect(results == Array(1...200))
            await #expect(throws: RedisError.clientClosed) { try await client.ping().get() }
            #expect(!client.isConnected)
        }
    }
}
