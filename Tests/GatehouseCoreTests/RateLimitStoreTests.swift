// RateLimitStoreTests: the memory store — all-or-nothing across policies, bounded keys, thread safety.

import Dispatch
import Synchronization
import Testing
@testable import GatehouseCore

@Suite struct RateLimitStoreTests {
    static let second: UInt64 = 1_000_000_000
    static let start: UInt64 = 100 * second

    static func check(_ policy: String, _ key: String, limit: Int, seconds: UInt64 = 60) -> RateLimitCheck {
        RateLimitCheck(policyName: policy, key: "\(policy):\(key)", limit: limit, window: seconds * second)
    }

    @Test func admitsUpToTheLimitThenRefusesWithRetryAfter() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 100)
        let checks = [Self.check("per-ip", "1.2.3.4", limit: 3)]
        for expectedRemaining in [2, 1, 0] {
            let outcome = store.evaluate(checks, now: Self.start)
            #expect(outcome.admitted)
            #expect(outcome.results.map(\.remaining) == [expectedRemaining])
            #expect(outcome.results.first?.resetSeconds == 60)
        }
        let refused = store.evaluate(checks, now: Self.start + 12 * Self.second + 1)
        #expect(!refused.admitted)
        #expect(refused.retryAfterSeconds == 48)
        #expect(refused.results == [RateLimitResult(
            policyName: "per-ip", limit: 3, window: 60 * Self.second,
            admitted: false, remaining: 0, resetSeconds: 48, retryAfterSeconds: 48
        )])
        #expect(store.evaluate(checks, now: Self.start + 60 * Self.second).admitted)
    }

    @Test func refusedRequestConsumesNothingInAnyPolicy() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 100)
        let wide = Self.check("per-ip", "1.2.3.4", limit: 5)
        let narrow = Self.check("per-user", "alice", limit: 2)
        #expect(store.evaluate([wide, narrow], now: Self.start).admitted)
        #expect(store.evaluate([wide, narrow], now: Self.start).admitted)
        for _ in 0..<10 {
            let refused = store.evaluate([wide, narrow], now: Self.start + Self.second)
            #expect(!refused.admitted)
            // per-ip would have admitted and reports its untouched quota.
            #expect(refused.results.map(\.admitted) == [true, false])
            #expect(refused.results.map(\.remaining) == [3, 0])
            #expect(refused.refusals.map(\.policyName) == ["per-user"])
        }
        // The ten refusals cost per-ip nothing: exactly three more fit.
        let alone = (0..<4).map { _ in store.evaluate([wide], now: Self.start + 2 * Self.second).admitted }
        #expect(alone == [true, true, true, false])
    }

    @Test func refusalByTheFirstPolicyLeavesTheLaterOnesUntouched() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 100)
        let first = Self.check("a", "k", limit: 1)
        let second = Self.check("b", "k", limit: 10)
        #expect(store.evaluate([first, second], now: Self.start).admitted)
        #expect(!store.evaluate([first, second], now: Self.start).admitted)
        #expect(store.evaluate([second], now: Self.start).results.first?.remaining == 8)
    }

    @Test func retryAfterIsTheLongestAmongRefusingPolicies() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 100)
        let short = Self.check("short", "k", limit: 1, seconds: 10)
        let long = Self.check("long", "k", limit: 1, seconds: 60)
        #expect(store.evaluate([short, long], now: Self.start).admitted)
        let refused = store.evaluate([short, long], now: Self.start + 5 * Self.second)
        #expect(refused.results.map(\.retryAfterSeconds) == [5, 55])
        #expect(refused.retryAfterSeconds == 55)
    }

    @Test func duplicateChecksOfOneKeyCannotOvershoot() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 100)
        let check = Self.check("p", "k", limit: 3)
        #expect(store.evaluate([check, check], now: Self.start).admitted)
        #expect(!store.evaluate([check, check], now: Self.start).admitted)
        #expect(store.evaluate([check], now: Self.start).admitted)
        #expect(!store.evaluate([check], now: Self.start).admitted)
    }

    @Test func noChecksMeansAdmittedWithoutResults() {
        let outcome = MemoryRateLimitStore(maxTrackedKeys: 1).evaluate([], now: 0)
        #expect(outcome == .unlimited)
        #expect(outcome.retryAfterSeconds == nil)
    }

    @Test(arguments: [1, 7, 100, 1000])
    func sprayingKeysNeverTracksMoreThanTheBound(bound: Int) {
        let store = MemoryRateLimitStore(maxTrackedKeys: bound)
        for index in 0..<(10 * bound) {
            let outcome = store.evaluate([Self.check("per-ip", "10.0.\(index / 256).\(index % 256)", limit: 5)], now: Self.start)
            #expect(outcome.admitted)
            #expect(store.trackedKeyCount <= bound)
        }
        #expect(store.trackedKeyCount <= bound)
        #expect(store.trackedKeyCount >= bound / 2)
    }

    /// Two policies counting one client keep both its keys in one shard (one lock per request);
    /// other clients' keys still spread over the shards.
    @Test func aClientsPoliciesShareOneShard() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 10_000)
        for client in 0..<64 {
            let address = "198.51.100.\(client)"
            _ = store.evaluate([Self.check("per-ip", address, limit: 10), Self.check("per-ip-api", address, limit: 10)], now: Self.start)
        }
        let counts = store.shards.map(\.count)
        #expect(counts.allSatisfy { $0.isMultiple(of: 2) }, "\(counts)")
        #expect(counts.filter { $0 > 0 }.count > 8, "\(counts)")
    }

    @Test func evictsTheLeastRecentlySeenKey() {
        // One shard so the LRU order is global.
        let store = MemoryRateLimitStore(maxTrackedKeys: 2, shardCount: 1)
        let a = Self.check("p", "a", limit: 2)
        let b = Self.check("p", "b", limit: 2)
        let c = Self.check("p", "c", limit: 2)
        _ = store.evaluate([a], now: Self.start)
        _ = store.evaluate([b], now: Self.start)
        _ = store.evaluate([a], now: Self.start)   // a is now the most recent: b goes next
        _ = store.evaluate([c], now: Self.start)
        #expect(store.trackedKeyCount == 2)
        #expect(!store.evaluate([a], now: Self.start).admitted)     // a kept its two admissions
        #expect(store.evaluate([b], now: Self.start).results.first?.remaining == 1)  // b starts afresh
    }

    @Test func refusedKeysStayTracked() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 2, shardCount: 1)
        let abuser = Self.check("p", "abuser", limit: 1)
        _ = store.evaluate([abuser], now: Self.start)
        _ = store.evaluate([Self.check("p", "x", limit: 1)], now: Self.start)
        #expect(!store.evaluate([abuser], now: Self.start).admitted)   // seen again, though refused
        _ = store.evaluate([Self.check("p", "y", limit: 1)], now: Self.start)
        #expect(!store.evaluate([abuser], now: Self.start).admitted)   // x was evicted, not the abuser
    }

    @Test func idleKeysAreReclaimedLazily() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 1000, shardCount: 1)
        for index in 0..<50 {
            _ = store.evaluate([Self.check("p", "old\(index)", limit: 1, seconds: 10)], now: Self.start)
        }
        #expect(store.trackedKeyCount == 50)
        for index in 0..<30 {
            _ = store.evaluate([Self.check("p", "new\(index)", limit: 1, seconds: 10)], now: Self.start + 11 * Self.second)
        }
        #expect(store.trackedKeyCount == 30)
    }

    @Test func concurrentRequestsLoseNoUpdates() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 10_000)
        let admittedCount = Atomic<Int>(0)
        let check = Self.check("global", "all", limit: 1000)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<400 where store.evaluate([check], now: Self.start).admitted {
                admittedCount.add(1, ordering: .relaxed)
            }
        }
        #expect(admittedCount.load(ordering: .relaxed) == 1000)
    }

    @Test func concurrentMultiPolicyRequestsStayAllOrNothing() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 10_000)
        let perThread = Mutex([Int](repeating: 0, count: 8))
        let global = Self.check("global", "all", limit: 500)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            // Keys land in different shards, listed in either order: locks must not deadlock.
            let mine = Self.check("per-thread", "t\(thread)", limit: 100)
            for attempt in 0..<300 {
                let checks = attempt.isMultiple(of: 2) ? [global, mine] : [mine, global]
                if store.evaluate(checks, now: Self.start).admitted {
                    perThread.withLock { $0[thread] += 1 }
                }
            }
        }
        let counts = perThread.withLock { $0 }
        #expect(counts.allSatisfy { $0 <= 100 })
        #expect(counts.reduce(0, +) == 500)
        // Whatever was admitted was recorded in both policies, and nothing else was.
        let globalLeft = store.evaluate([global], now: Self.start)
        #expect(!globalLeft.admitted && globalLeft.results.first?.remaining == 0)
        for thread in 0..<8 {
            let left = store.evaluate([Self.check("per-thread", "t\(thread)", limit: 100)], now: Self.start)
            #expect(left.results.first?.remaining == max(100 - counts[thread] - 1, 0))
        }
    }

    /// One shard (every request takes one lock) and sixteen (most multi-policy requests take
    /// several, in order) give exactly the model's answers over a long seeded run with refusals,
    /// repeated keys within a request, and policy indices carried through.
    @Test func oneShardAndManyShardsAnswerAsTheModel() {
        var random = SeededGenerator(seed: 20_240_611)
        let one = MemoryRateLimitStore(maxTrackedKeys: 10_000, shardCount: 1)
        let many = MemoryRateLimitStore(maxTrackedKeys: 10_000, shardCount: 16)
        var model = RateLimitStoreModel()
        let policies: [(name: String, limit: Int, seconds: UInt64)] = [("a", 3, 10), ("b", 7, 30), ("c", 2, 5), ("d", 40, 60)]
        var now = Self.start
        var refusals = 0
        for _ in 0..<3000 {
            now += UInt64.random(in: 0...(Self.second / 2), using: &random)
            let checks = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                let index = Int.random(in: 0..<policies.count, using: &random)
                let policy = policies[index]
                var check = Self.check(policy.name, "k\(Int.random(in: 0..<5, using: &random))", limit: policy.limit, seconds: policy.seconds)
                check.policyIndex = index
                return check
            }
            let expected = model.evaluate(checks, now: now)
            #expect(one.evaluate(checks, now: now) == expected)
            #expect(many.evaluate(checks, now: now) == expected)
            #expect(expected.results.map(\.policyIndex) == checks.map(\.policyIndex))
            refusals += expected.admitted ? 0 : 1
        }
        #expect(refusals > 300)
    }
}

