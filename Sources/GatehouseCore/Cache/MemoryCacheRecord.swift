// MemoryCacheRecord: an entry in the memory store with its key and the moment it is dropped.

/// What the memory store's LRU holds per key.
struct MemoryCacheRecord: Sendable {
    var entry: CacheEntry
    var key: CacheKey
    /// Past this the entry is gone: its freshness and every stale window have run out.
    var expiresAt: CacheTime
}
