// RedisStoreSharingTests: several instances on one Redis behave as one store, on Redis' own clock.

import GatehouseTesting
import GatehouseCore
import GatehouseRedis
import NIOCore
import Testing

@Suite struct RedisStoreSharingTests {
    static let second: UInt64 = 1_000_000_000
    let loop = StoreRedis.loop
    let t0 = CacheFixtures.t0

    @Test func twoRateLimitInstancesAdmitExactlyTheLimitInTotal() async throws {
        try await StoreRedis.withClients(2) { clients, _ in
            let stores = clients.map { RedisRateLimitStore(client: $0, keyPrefix: "gh:") }
            let check = RateLimitCheck(policyName: "per-ip", key: "per-ip:10.0.0.1", limit: 25, window: 30 * Self.second)
            // Concurrent requests through both instances, each with its own (unrelated) `now`.
            let futures = (0..<80).map { index in
                stores[index % 2].evaluate([check], now: UInt64(index), on: loop)
            }
            var admitted = 0
            for future in futures where try await future.get().admitted {
                admitted += 1
            }
            #expect(admitted == 25)
        }
    }

    @Test func serverClockLimitsStrictlyAndReleasesAfterTheWindow() async throws {
        try await StoreRedis.withClients { clients, _ in
            let store = RedisRateLimitStore(client: clients[0], keyPrefix: "gh:")
            // Three seconds, so that the eight calls fall in one window even when a loaded
            // machine stalls this test for a second (it did, with a one-second window).
            let check = RateLimitCheck(policyName: "burst", key: "burst:k", limit: 5, window: 3 * Self.second)
            var outcomes: [RateLimitOutcome] = []
            for _ in 0..<8 {
                outcomes.append(try await store.evaluate([check], now: 0, on: loop).get())
            }
            #expect(outcomes.map(\.admitted) == [true, true, true, true, true, false, false, false])
            #expect(outcomes.prefix(5).compactMap(\.results.first?.remaining) == [4, 3, 2, 1, 0])
            // What is left of the window, in whole seconds rounded up: 3 unless the calls took
            // more than a second.
            #expect((1...3).contains(outcomes.last?.retryAfterSeconds ?? 0))
            #expect(outcomes.last?.results.first?.resetSeconds == outcomes.last?.retryAfterSeconds)

            // Real time has to pass here: the server's clock is what is under test.
            try await Task.sleep(for: .milliseconds(3050))
            var later: [Bool] = []
            for _ in 0..<6 {
                later.append(try await store.evaluate([check], now: 0, on: loop).get().admitted)
            }
            #expect(later == [true, true, true, true, true, false])
        }
    }

    @Test func aCounterExpiresOnItsOwn() async throws {
        try await StoreRedis.withClients { clients, _ in
            let store = RedisRateLimitStore(client: clients[0], keyPrefix: "gh:")
            let check = RateLimitCheck(policyName: "p", key: "p:k", limit: 5, window: Self.second)
            _ = try await store.evaluate([check], now: 0, on: loop).get()
            let ttl = try await clients[0].send(["PTTL", .string(store.redisKey(for: check))], on: loop).get()
            #expect((1...1000).contains(ttl.integer ?? -1))
            #expect(store.redisKey(for: check) == "gh:rl:{p:k}")
        }
    }

    /// A clock that steps back (Redis' own, after an NTP correction) is read as the time of the
    /// latest admission, which then counts for a whole window after that time: the key must live
    /// as long, or the counter vanishes early and hands every client a fresh quota.
    @Test func aCounterOutlivesAClockThatStepsBack() async throws {
        try await StoreRedis.withClients { clients, _ in
            let store = RedisRateLimitStore(client: clients[0], keyPrefix: "gh:", clock: .caller)
            let check = RateLimitCheck(policyName: "p", key: "p:k", limit: 5, window: 10 * Self.second)
            _ = try await store.evaluate([check], now: 100 * Self.second, on: loop).get()
            // Five seconds back: recorded at 100 s, so both admissions count until 110 s, 15 s
            // after this call's `now`.
            let outcome = try await store.evaluate([check], now: 95 * Self.second, on: loop).get()
            #expect(outcome.results.first?.resetSeconds == 15)
            let ttl = try await clients[0].send(["PTTL", .string(store.redisKey(for: check))], on: loop).get()
            #expect((10_001...15_000).contains(ttl.integer ?? -1))
        }
    }

    @Test func aWriteThroughOneCacheInstanceIsSeenByAnother() async throws {
        try await StoreRedis.withClients(2) { clients, _ in
            let a = RedisCacheStore(client: clients[0], keyPrefix: "gh:", epochRefresh: .zero)
            let b = RedisCacheStore(client: clients[1], keyPrefix: "gh:", epochRefresh: .zero)
            let key = CacheFixtures.key("/api/users/1", namespace: "users")
            #expect(try await a.store(CacheFixtures.entry("v1"), for: key, retention: 60, now: t0, on: loop).get())
            #expect(try await b.find(key.primary, requestHeaders: [:], now: t0, on: loop).get().entry?.body == CacheFixtures.buffer("v1"))

            // A namespace bump through B moves A's key too.
            #expect(try await b.bumpNamespace("users", on: loop).get() == 1)
            #expect(try await a.namespaceVersion("users", on: loop).get() == 1)
            let current = CacheFixtures.key("/api/users/1", namespace: "users", namespaceVersion: 1)
            #expect(try await a.find(current.primary, requestHeaders: [:], now: t0, on: loop).get() == .uriMiss)

            // A purge through B drops what A stored.
            #expect(try await a.store(CacheFixtures.entry("v2"), for: current, retention: 60, now: t0, on: loop).get())
            #expect(try await b.purge(current.url, on: loop).get() == 1)
            #expect(try await a.lookup(current, now: t0, on: loop).get() == nil)

            // So does a purge of everything.
            #expect(try await a.store(CacheFixtures.entry("v3"), for: current, retention: 60, now: t0, on: loop).get())
            try await b.purgeAll(on: loop).get()
            #expect(try await a.lookup(current.primary, now: t0, on: loop).get() == .miss)
        }
    }

    /// A fetch that went upstream before a purge of everything through another instance stores
    /// nothing anyone reads after the purge: refused once this instance has read the new epoch,
    /// and kept under the old epoch's keys while its copy is still the old one (which only
    /// instances that have not yet heard of the purge read).
    @Test func aPurgeOfEverythingThroughAnotherInstanceStopsTheStoreOfAnEarlierFetch() async throws {
        try await StoreRedis.withClients(2) { clients, _ in
            let current = RedisCacheStore(client: clients[0], keyPrefix: "gh:", epochRefresh: .zero)
            let late = RedisCacheStore(client: clients[0], keyPrefix: "gh:", epochRefresh: .seconds(600))
            let other = RedisCacheStore(client: clients[1], keyPrefix: "gh:", epochRefresh: .zero)
            let key = CacheFixtures.key("/item")
            // No epoch read yet: a purge of everything may have come, unseen.
            #expect(current.purgeEpoch == nil)
            let unknown = CacheFetchStart(time: t0, epoch: nil)
            #expect(!(try await current.store(CacheFixtures.entry("v0"), for: key, retention: 60, now: t0, fetch: unknown, on: loop).get()))

            // Each looks the URL up, as a miss does before it goes upstream, and learns epoch 0.
            #expect(try await current.lookup(key.primary, now: t0, on: loop).get() == .miss)
            #expect(try await late.lookup(key.primary, now: t0, on: loop).get() == .miss)
            let before = CacheFetchStart(time: t0, epoch: current.purgeEpoch)
            #expect(before.epoch == 0 && late.purgeEpoch == 0)
            try await other.purgeAll(on: loop).get()

            #expect(!(try await current.store(CacheFixtures.entry("v1"), for: key, retention: 60, now: t0, fetch: before, on: loop).get()))
            #expect(try await late.store(CacheFixtures.entry("v1"), for: key, retention: 60, now: t0, fetch: before, on: loop).get())
            #expect(try await other.lookup(key.primary, now: t0, on: loop).get() == .miss)
            #expect(try await current.lookup(key.primary, now: t0, on: loop).get() == .miss)

            // A fetch after the purge stores as usual, for every instance.
            #expect(current.purgeEpoch == 1)
            let after = CacheFetchStart(time: t0, epoch: current.purgeEpoch)
            #expect(try await current.store(CacheFixtures.entry("v2"), for: key, retention: 60, now: t0, fetch: after, on: loop).get())
            #expect(try await other.find(key.primary, requestHeaders: [:], now: t0, on: loop).get().entry?.body == CacheFixtures.buffer("v2"))
        }
    }

    @Test func entriesCarryTheirRetentionAsTTLAndStatsAnswer() async throws {
        try await StoreRedis.withClients { clients, _ in
            let store = RedisCacheStore(client: clients[0], keyPrefix: "gh:")
            let key = CacheFixtures.key("/ttl")
            #expect(try await store.store(CacheFixtures.entry(), for: key, retention: 90, now: t0, on: loop).get())
            let ttl = try await clients[0].send(["PTTL", .string("gh:e0:" + key.value)], on: loop).get()
            #expect((88_000...90_000).contains(ttl.integer ?? -1))
            let stats = try await store.stats(on: loop).get()
            #expect(stats.stores == 1)
            #expect(stats.entries >= 1)
            #expect(stats.bytes > 0)
        }
    }

    @Test func redisDownMeansMissesAndFastFailures() async throws {
        try await StoreRedis.withClients { clients, server in
            let cache = RedisCacheStore(client: clients[0], keyPrefix: "gh:")
            let limits = RedisRateLimitStore(client: clients[0], keyPrefix: "gh:")
            let key = CacheFixtures.key("/a")
            #expect(try await cache.store(CacheFixtures.entry(), for: key, retention: 60, now: t0, on: loop).get())
            await server.kill()

            let clock = ContinuousClock()
            let started = clock.now
            #expect(try await cache.lookup(key.primary, now: t0, on: loop).get() == .miss)
            #expect(try await cache.lookup(key, now: t0, on: loop).get() == nil)
            #expect(try await cache.find(key.primary, requestHeaders: [:], now: t0, on: loop).get() == .uriMiss)
            #expect(!(try await cache.store(CacheFixtures.entry(), for: key, retention: 60, now: t0, on: loop).get()))
            let check = RateLimitCheck(policyName: "p", key: "p:k", limit: 5, window: Self.second)
            await #expect(throws: (any Error).self) {
                try await limits.evaluate([check], now: 0, on: loop).get()
            }
            await #expect(throws: (any Error).self) {
                try await cache.bumpNamespace("users", on: loop).get()
            }
            #expect(clock.now - started < .seconds(3))

            // Back again: the stores work without being rebuilt.
            try await server.restart()
            var recovered = false
            for _ in 0..<50 where !recovered {
                try await Task.sleep(for: .milliseconds(100))
                recovered = (try? await limits.evaluate([check], now: 0, on: loop).get().admitted) == true
            }
            #expect(recovered)
            #expect(try await cache.store(CacheFixtures.entry(), for: key, retention: 60, now: t0, on: loop).get())
        }
    }
}
