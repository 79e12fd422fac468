// CacheMemoryStoreTests: the memory store's budget, LRU order, refusals, sweeps and thread safety.

import GatehouseTesting
import Dispatch
import NIOCore
import Testing
@testable import GatehouseCore

@Suite struct CacheMemoryStoreTests {
    let t0 = CacheFixtures.t0

    /// An entry whose stored cost under `key` is exactly `cost` bytes (plus the key's slot).
    func entry(costing cost: Int, for key: CacheKey) -> CacheEntry {
        let bare = CacheFixtures.entry("")
        let padding = max(0, cost - bare.storageCost - key.value.utf8.count)
        return CacheFixtures.entry(String(repeating: "x", count: padding))
    }

    @Test func bytesNeverExceedTheBudgetUnderChurn() {
        let budget = 64 * 1024
        let store = MemoryCacheStore(budget: budget, maxObjectSize: 16 * 1024)
        var generator = SplitMix64(state: 42)
        var stored = 0
        for round in 0..<5000 {
            let path = "/item/\(Int.random(in: 0..<400, using: &generator))"
            let size = Int.random(in: 0...(Int.random(in: 0..<10, using: &generator) == 0 ? 20_000 : 3000), using: &generator)
            let varies = Int.random(in: 0..<4, using: &generator) == 0
            let user: String? = Int.random(in: 0..<5, using: &generator) == 0 ? "user\(round % 7)" : nil
            let key = varies
                ? CacheFixtures.key(path, user: user, vary: ["accept"], [("Accept", "v\(round % 3)")])
                : CacheFixtures.key(path, user: user)
            let entry = CacheFixtures.entry(String(repeating: "b", count: size), varyNames: key.varyNames)
            if store.store(entry, for: key, retention: Int64.random(in: 1...100, using: &generator), now: t0 + Int64(round / 100)) {
                stored += 1
            }
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: store.remove(key)
            case 1: _ = store.purge(key.url)
            case 2: _ = store.find(key.primary, requestHeaders: ["Accept": "v1"], now: t0 + Int64(round / 100))
            case 3: _ = store.reclaimExpired(now: t0 + Int64(round / 100), limit: 50)
            default: break
            }
            let stats = store.stats
            #expect(stats.bytes <= budget, "round \(round): \(stats.bytes) bytes")
            if stats.bytes > budget { return }
        }
        let stats = store.stats
        #expect(stored > 1000)
        #expect(stats.evictions > 0)
        #expect(stats.refused > 0, "bodies over max_object_size are refused")
        #expect(stats.stores == UInt64(stored))
        store.purgeAll()
        #expect(store.stats.bytes == 0)
        #expect(store.stats.entries == 0)
    }

    @Test func accountingReturnsToZero() {
        let store = MemoryCacheStore(budget: 1 << 20, maxObjectSize: 1 << 16)
        let keys = (0..<50).map { CacheFixtures.key("/k\($0 % 10)", user: $0 % 3 == 0 ? "u" : nil, vary: $0 % 2 == 0 ? ["accept"] : [], [("Accept", "\($0)")]) }
        for key in keys {
            store.store(CacheFixtures.entry("body", varyNames: key.varyNames), for: key, retention: 10, now: t0)
        }
        #expect(store.stats.bytes > 0)
        for key in keys {
            store.remove(key)
        }
        #expect(store.stats.bytes == 0)
        #expect(store.stats.entries == 0)
    }

    @Test func evictsTheLeastRecentlyUsed() {
        let keys = ["/a", "/b", "/c", "/d"].map { CacheFixtures.key($0) }
        let slot = MemoryCachePrimarySlot(primary: keys[0].primary, varyNames: []).cost
        // Room for exactly three 1000-byte entries and their slots.
        let store = MemoryCacheStore(budget: 3 * (1000 + slot), maxObjectSize: 1 << 16)
        for key in keys[0..<3] {
            #expect(store.store(entry(costing: 1000, for: key), for: key, retention: 60, now: t0))
        }
        #expect(store.stats.bytes == 3 * (1000 + slot))
        #expect(store.lookup(keys[0], now: t0) != nil, "touching /a protects it")
        store.store(entry(costing: 1000, for: keys[3]), for: keys[3], retention: 60, now: t0)
        #expect(store.lookup(keys[1], now: t0) == nil, "/b was the least recently used")
        #expect(store.lookup(keys[0], now: t0) != nil)
        #expect(store.lookup(keys[2], now: t0) != nil)
        #expect(store.lookup(keys[3], now: t0) != nil)
        #expect(store.stats.evictions == 1)
        #expect(store.keysFromOldest == [keys[0], keys[2], keys[3]].map(\.value))
        // A primary-level lookup is a use too.
        _ = store.lookup(keys[0].primary, now: t0)
        #expect(store.keysFromOldest.last == keys[0].value)
    }

    @Test func refusesOversizedObjects() {
        let store = MemoryCacheStore(budget: 10_000, maxObjectSize: 2_000)
        let key = CacheFixtures.key("/big")
        #expect(!store.store(CacheFixtures.entry(String(repeating: "x", count: 2_001)), for: key, retention: 60, now: t0))
        #expect(store.store(CacheFixtures.entry(String(repeating: "x", count: 2_000)), for: key, retention: 60, now: t0))
        let tight = MemoryCacheStore(budget: 1_000, maxObjectSize: 2_000)
        #expect(!tight.store(CacheFixtures.entry(String(repeating: "x", count: 1_500)), for: key, retention: 60, now: t0), "larger than the whole budget")
        #expect(tight.stats.refused == 1)
        #expect(tight.stats.bytes == 0)
    }

    @Test func anEntryThatDoesNotFitEvictsOthersButNeverItself() {
        let store = MemoryCacheStore(budget: 5_000, maxObjectSize: 5_000)
        for index in 0..<4 {
            store.store(CacheFixtures.entry(String(repeating: "x", count: 800)), for: CacheFixtures.key("/s\(index)"), retention: 60, now: t0)
        }
        let big = CacheFixtures.key("/big")
        #expect(store.store(CacheFixtures.entry(String(repeating: "x", count: 4_000)), for: big, retention: 60, now: t0))
        #expect(store.lookup(big, now: t0) != nil)
        #expect(store.stats.bytes <= 5_000)
    }

    @Test func sweepsReclaimExpiredEntriesInBoundedSteps() {
        let store = MemoryCacheStore(budget: 1 << 22, maxObjectSize: 1 << 16)
        for index in 0..<300 {
            store.store(CacheFixtures.entry(), for: CacheFixtures.key("/short\(index)"), retention: 10, now: t0)
            store.store(CacheFixtures.entry(), for: CacheFixtures.key("/long\(index)"), retention: 1000, now: t0)
        }
        #expect(store.reclaimExpired(now: t0 + 9) == 0)
        var reclaimed = 0
        for _ in 0..<6 {
            reclaimed += store.reclaimExpired(now: t0 + 10, limit: 100)
        }
        #expect(reclaimed == 300)
        #expect(store.stats.entries == 300)
        #expect(store.stats.expirations == 300)
        #expect(store.lookup(CacheFixtures.key("/long7"), now: t0 + 10) != nil)
    }

    @Test func lookupsReclaimWhatTheyFindExpired() {
        let store = MemoryCacheStore(budget: 1 << 20, maxObjectSize: 1 << 16)
        let key = CacheFixtures.key("/a")
        store.store(CacheFixtures.entry(), for: key, retention: 5, now: t0)
        #expect(store.lookup(key.primary, now: t0 + 5) == .miss)
        #expect(store.stats.entries == 0)
        #expect(store.stats.bytes == 0)
        #expect(store.stats.expirations == 1)
    }

    @Test func concurrentUseStaysConsistent() {
        let budget = 200_000
        let store = MemoryCacheStore(budget: budget, maxObjectSize: 8_000)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            var generator = SplitMix64(state: UInt64(worker))
            for round in 0..<2_000 {
                let key = CacheFixtures.key("/c\(Int.random(in: 0..<300, using: &generator))", vary: round % 2 == 0 ? ["accept"] : [], [("Accept", "\(worker)")])
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<4:
                    store.store(CacheFixtures.entry(String(repeating: "z", count: Int.random(in: 0..<4_000, using: &generator)), varyNames: key.varyNames), for: key, retention: 30, now: CacheFixtures.t0)
                case 4..<8:
                    _ = store.find(key.primary, requestHeaders: ["Accept": "\(worker)"], now: CacheFixtures.t0)
                case 8:
                    store.remove(key)
                default:
                    _ = store.bumpNamespace("n")
                    _ = store.reclaimExpired(now: CacheFixtures.t0, limit: 20)
                }
            }
        }
        let stats = store.stats
        #expect(stats.bytes <= budget)
        #expect(store.namespaceVersion("n") > 0)
        store.purgeAll()
        #expect(store.stats.bytes == 0)
    }

    @Test func configuresFromCacheConfig() {
        var config = CacheConfig()
        config.memoryBudget = 12_345
        #expect(MemoryCacheStore(config: config).budget == 12_345)
    }
}
