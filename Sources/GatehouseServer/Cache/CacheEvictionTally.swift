// CacheEvictionTally: turns a memory store's running eviction count into increments of a counter that only grows.
import GatehouseCore

/// What `gatehouse_cache_evictions_total` has taken from the store so far. The store's count
/// starts again at zero when a reload makes a new store; a lower count from the same store is
/// an older reading, not a restart, and adds nothing (counting it as a restart counted those
/// evictions twice).
struct CacheEvictionTally: Sendable {
    /// The store `counted` is of; weak, so a reload's old store is freed (a new store is never
    /// taken for it, even at its address).
    private weak var store: MemoryCacheStore?
    private var counted: UInt64 = 0

    /// How many evictions to add for `store` having counted `evictions` so far.
    mutating func increment(evictions: UInt64, of store: MemoryCacheStore) -> UInt64 {
        guard self.store === store else {
            // A new store: everything it evicted is new.
            self.store = store
            counted = evictions
            return evictions
        }
        guard evictions > counted else { return 0 }
        defer { counted = evictions }
        return evictions - counted
    }
}
