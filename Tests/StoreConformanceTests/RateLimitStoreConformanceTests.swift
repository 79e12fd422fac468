// RateLimitStoreConformanceTests: the RateLimitStore contract, written once and run against every store.

import GatehouseCore
import GatehouseRedis
import NIOCore
import Testing

/// A named way to run a test against an empty store that takes its time from the caller, so
/// both stores see the same clock and must give the same answers.
struct RateLimitStoreFactory: Sendable, CustomTestStringConvertible {
    var name: String
    var run: @Sendable (_ body: (any RateLimitStore) async throws -> Void) async throws -> Void

    var testDescription: String { name }

    static let memory = RateLimitStoreFactory(name: "memory") { body in
        try await body(MemoryRateLimitStore(maxTrackedKeys: 1000))
    }

    static let redis = RateLimitStoreFactory(name: "redis") { body in
        try await StoreRedis.withClients { clients, _ in
            try await body(RedisRateLimitStore(client: clients[0], keyPrefix: "gh:", clock: .caller))
        }
    }

    static let all: [RateLimitStoreFactory] = [memory, redis]
}

/// Every check goes through the future-returning seam, as the proxy does.
@Suite struct RateLimitStoreConformanceTests {
    static let second: UInt64 = 1_000_000_000
    static let start: UInt64 = 100 * second
    let loop = StoreRedis.loop

    static func check(_ policy: String, _ key: String, limit: Int, seconds: UInt64 = 60) -> RateLimitCheck {
        RateLimitCheck(policyName: policy, key: "\(policy):\(key)", limit: limit, window: seconds * second)
    }

    func evaluate(_ store: any RateLimitStore, _ checks: [RateLimitCheck], at now: UInt64) async throws -> RateLimitOutcome {
        try await store.evaluate(checks, now: now, on: loop).get()
    }

    @Test(arguments: RateLimitStoreFactory.all)
    func admitsUpToTheLimitThenRefusesWithRetryAfter(_ factory: RateLimitStoreFactory) async throws {
        try await factory.run { store async throws in
            let checks = [Self.check("per-ip", "1.2.3.4", limit: 3)]
            for expectedRemaining in [2, 1, 0] {
                let outcome = try await evaluate(store, checks, at: Self.start)
                #expect(outcome.admitted)
                #expect(outcome.results.map(\.remaining) == [expectedRemaining])
                #expect(outcome.results.first?.resetSeconds == 60)
            }
            let refused = try await evaluate(store, checks, at: Self.start + 12 * Self.second + 1000)
            #expect(!refused.admitted)
            #expect(refused.retryAfterSeconds == 48)
            #expect(refused.results == [RateLimitResult(
                policyName: "per-ip", limit: 3, window: 60 * Self.second,
                admitted: false, remaining: 0, resetSeconds: 48, retryAfterSeconds: 48
            )])
            #expect(try await evaluate(store, checks, at: Self.start + 60 * Self.second).admitted)
        }
    }

    @Test(arguments: RateLimitStoreFactory.all)
    func refusedRequestConsumesNothingInAnyPolicy(_ factory: RateLimitStoreFactory) async throws {
        try await factory.run { store async throws in
            let wide = Self.check("per-ip", "1.2.3.4", limit: 5)
            let narrow = Self.check("per-user", "alice", limit: 2)
            #expect(try await evaluate(store, [wide, narrow], at: Self.start).admitted)
            #expect(try await evaluate(store, [wide, narrow], at: Self.start).admitted)
            for _ in 0..<10 {
                let refused = try await evaluate(store, [wide, narrow], at: Self.start + Self.second)
                #expect(!refused.admitted)
                #expect(refused.results.map(\.admitted) == [true, false])
                #expect(refused.results.map(\.remaining) == [3, 0])
            }
            var alone: [Bool] = []
            for _ in 0..<4 {
                alone.append(try await evaluate(store, [wide], at: Self.start + 2 * Self.second).admitted)
            }
            #expect(alone == [true, true, true, false])
        }
    }

    @Test(arguments: RateLimitStoreFactory.all)
    func retryAfterIsTheLongestAmongRefusingPolicies(_ factory: RateLimitStoreFactory) async throws {
        try await factory.run { store async throws in
            let short = Self.check("short", "k", limit: 1, seconds: 10)
            let long = Self.check("long", "k", limit: 1, seconds: 60)
            #expect(try await evaluate(store, [short, long], at: Self.start).admitted)
            let refused = try await evaluate(store, [short, long], at: Self.start + 5 * Self.second)
            #expect(refused.results.map(\.retryAfterSeconds) == [5, 55])
            #expect(refused.retryAfterSeconds == 55)
        }
    }

    @Test(arguments: RateLimitStoreFactory.all)
    func duplicateChecksOfOneKeyCannotOvershoot(_ factory: RateLimitStoreFactory) async throws {
        try await factory.run { store async throws in
            let check = Self.check("p", "k", limit: 3)
            #expect(try await evaluate(store, [check, check], at: Self.start).admitted)
            #expect(!(try await evaluate(store, [check, check], at: Self.start).admitted))
            #expect(try await evaluate(store, [check], at: Self.start).admitted)
            #expect(!(try await evaluate(store, [check], at: Self.start).admitted))
        }
    }

    /// Never more than `limit` in any window (checked against the exact admitted times), and at
    /// least 95% of `limit` per window under steady overload.
    @Test(arguments: RateLimitStoreFactory.all, RateLimitArrivals.allCases)
    func strictAndEfficientAgainstAnExactLog(_ factory: RateLimitStoreFactory, pattern: RateLimitArrivals) async throws {
        try await factory.run { store async throws in
            let limit = 40
            // Minutes, not seconds: Redis expires a counter after its window in real time, while
            // the test's clock is simulated; a window shorter than a stall of a loaded machine
            // would let a counter vanish mid-test.
            let window = 120 * Self.second
            let check = RateLimitCheck(policyName: "p", key: "p:\(pattern):\(UInt32.random(in: 0...UInt32.max))", limit: limit, window: window)
            var admitted: [UInt64] = []
            for time in pattern.arrivals(limit: limit, window: window, windows: 4, start: Self.start) {
                if try await evaluate(store, [check], at: time).admitted {
                    admitted.append(time)
                }
            }
            #expect(RateLimitArrivals.busiestWindow(admitted, window: window) <= limit)
            if pattern.isSteadyOverload {
                // Whole windows after the first: 3 windows of demand at twice the limit.
                let later = admitted.filter { $0 >= Self.start + window }
                #expect(later.count * 100 >= 3 * limit * 95)
            }
        }
    }

    /// The Redis script is the memory store's algorithm: on one clock, the same answers.
    @Test func redisAnswersExactlyAsMemoryDoes() async throws {
        try await RateLimitStoreFactory.redis.run { redis async throws in
            let memory = MemoryRateLimitStore(maxTrackedKeys: 1000)
            // Windows in minutes for the reason given in `strictAndEfficientAgainstAnExactLog`.
            let checks = [Self.check("a", "k", limit: 7, seconds: 60), Self.check("b", "k", limit: 50, seconds: 240)]
            for time in RateLimitArrivals.bursts.arrivals(limit: 20, window: 120 * Self.second, windows: 4, start: Self.start) {
                let expected = try await evaluate(memory, checks, at: time)
                let actual = try await evaluate(redis, checks, at: time)
                #expect(actual == expected, "at \(time)")
            }
        }
    }
}
