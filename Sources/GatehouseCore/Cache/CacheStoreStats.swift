// CacheStoreStats: a store's counters and gauges for the cache metrics of DESIGN §9.

/// Numbers behind `gatehouse_cache_bytes`, `gatehouse_cache_entries`,
/// `gatehouse_cache_stores_total` and `gatehouse_cache_evictions_total`.
public struct CacheStoreStats: Sendable, Equatable {
    /// Bytes held (entries, keys and Vary indexes), never above the budget.
    public var bytes: Int = 0
    public var entries: Int = 0
    /// Entries written (totals since start).
    public var stores: UInt64 = 0
    /// Entries dropped to make room.
    public var evictions: UInt64 = 0
    /// Entries dropped because their retention ran out.
    public var expirations: UInt64 = 0
    /// Writes refused (too large for `max_object_size` or the budget).
    public var refused: UInt64 = 0

    public init() {}
}
