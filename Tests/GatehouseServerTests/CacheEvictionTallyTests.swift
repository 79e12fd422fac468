// CacheEvictionTallyTests: gatehouse_cache_evictions_total follows the store's count without counting an eviction twice.
import GatehouseCore
@testable import GatehouseServer
import Testing

@Suite struct CacheEvictionTallyTests {
    private static func store() -> MemoryCacheStore {
        MemoryCacheStore(budget: 1 << 20, maxObjectSize: 1 << 16)
    }

    /// Two scrapes read the count (6, then 7) and compare it in the other order: the older
    /// reading is not a restart of the store's count and adds nothing (it used to add all 6 again).
    @Test func anOlderReadingOfTheSameStoreAddsNothing() {
        let store = Self.store()
        var tally = CacheEvictionTally()
        #expect(tally.increment(evictions: 5, of: store) == 5)
        #expect(tally.increment(evictions: 7, of: store) == 2)
        #expect(tally.increment(evictions: 6, of: store) == 0)
        #expect(tally.increment(evictions: 9, of: store) == 2)
    }

    /// A reload that makes a new store starts its count at zero: all it evicted is new, even
    /// when that is more than the old store had.
    @Test func aNewStoreIsCountedFromZero() {
        let old = Self.store()
        let new = Self.store()
        var tally = CacheEvictionTally()
        #expect(tally.increment(evictions: 100, of: old) == 100)
        #expect(tally.increment(evictions: 150, of: new) == 150)
        #expect(tally.increment(evictions: 160, of: new) == 10)
    }
}
