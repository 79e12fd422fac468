// CacheLookupResult+Tombstone: a hit on an entry a failed invalidation meant to drop reads as a miss.

extension CacheLookupResult {
    /// This result, with a hit on an entry stored no later than `bar` (plus the clock margin of
    /// `CacheTombstoneTable`) turned into the miss it would have been had the purge succeeded.
    public func hidingEntries(storedBy bar: CacheTime) -> CacheLookupResult {
        guard case .hit(let entry, let key) = self, CacheTombstoneTable.hides(responseTime: entry.responseTime, bar: bar) else {
            return self
        }
        return key.varyNames.isEmpty ? .uriMiss : .varyMiss(key)
    }
}
