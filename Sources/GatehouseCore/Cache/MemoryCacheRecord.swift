// MemoryCacheRecord: an entry in the memory store with its primary key and the moment it is dropped.

/// What the memory store's LRU holds per key (inline in the LRU's node array, so every field
/// here is paid for by every entry).
struct MemoryCacheRecord: Sendable {
    var entry: CacheEntry
    /// The primary key whose slot lists it (the store key itself for a response without `Vary`).
    var primary: String
    /// Past this the entry is gone: its freshness and every stale window have run out.
    var expiresAt: CacheTime
}
