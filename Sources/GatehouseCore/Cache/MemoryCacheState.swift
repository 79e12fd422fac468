// MemoryCacheState: the memory store's data behind its lock — LRU entries, primary slots, URL index, namespaces.

/// Everything `MemoryCacheStore` guards. Invariant after every operation: `bytes` (entries +
/// keys + slots) is at most `budget`.
struct MemoryCacheState {
    let budget: Int
    let maxObjectSize: Int
    private var lru = CacheLRU<MemoryCacheRecord>()
    private var primaries: [String: MemoryCachePrimarySlot] = [:]
    /// URL key → primary keys stored under it, for purge by URL.
    private var urls = MemoryCacheURLIndex()
    private var slotBytes = 0
    private var namespaces: [String: UInt64] = [:]
    private var counters = CacheStoreStats()
    private var sweepCursor = 0

    init(budget: Int, maxObjectSize: Int) {
        self.budget = max(0, budget)
        self.maxObjectSize = max(0, maxObjectSize)
    }

    var bytes: Int { lru.totalCost + slotBytes }

    var stats: CacheStoreStats {
        var stats = counters
        stats.bytes = bytes
        stats.entries = lru.count
        return stats
    }

    /// Keys from least to most recently used (tests).
    var keysFromOldest: [String] { lru.keysFromOldest }

    mutating func lookup(_ primary: CachePrimaryKey, now: CacheTime) -> CachePrimaryLookup {
        // A response without `Vary` is stored under its primary key itself, and only while its
        // slot has no `Vary` (`store` empties a slot whose names change): the usual hit is one
        // lookup. Its record names that primary; anything else under this key is not its entry.
        if let record = liveRecord(forKey: primary.value, now: now), record.primary == primary.value {
            return .entry(record.entry)
        }
        guard let names = primaries[primary.value]?.varyNames, !names.isEmpty else { return .miss }
        return .varies(on: names)
    }

    mutating func lookup(_ key: CacheKey, now: CacheTime) -> CacheEntry? {
        liveRecord(forKey: key.value, now: now)?.entry
    }

    mutating func store(_ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime) -> Bool {
        let varies = !key.varyNames.isEmpty
        let cost = entry.storageCost + key.value.utf8.count + (varies ? MemoryCachePrimarySlot.variantOverhead : 0)
        let newSlot = MemoryCachePrimarySlot(primary: key.primary, varyNames: key.varyNames)
        guard retention > 0, key.varyNames == entry.varyNames,
              entry.storedBody.count <= maxObjectSize, cost + newSlot.cost <= budget
        else {
            counters.refused += 1
            return false
        }
        let primary = key.primary.value
        if let existing = primaries[primary], existing.varyNames != key.varyNames {
            removeSlot(primary)
        }
        if primaries[primary] == nil {
            primaries[primary] = newSlot
            urls.insert(primary, url: key.primary.url.value)
            slotBytes += newSlot.cost
        }
        if varies {
            primaries[primary]?.variants.insert(key.value)
        }
        lru.insert(MemoryCacheRecord(entry: entry, primary: primary, expiresAt: now + retention), forKey: key.value, cost: cost)
        counters.stores += 1
        while bytes > budget, let (victim, record) = lru.removeOldest() {
            detach(victim, from: record.primary)
            counters.evictions += 1
        }
        return true
    }

    mutating func remove(_ key: CacheKey) {
        guard lru.removeValue(forKey: key.value) != nil else { return }
        detach(key.value, from: key.primary.value)
    }

    mutating func purge(_ url: CacheURLKey) -> Int {
        var removed = 0
        for primary in urls.primaries(of: url.value) {
            removed += removeSlot(primary)
        }
        return removed
    }

    mutating func purgeAll() {
        lru.removeAll()
        primaries = [:]
        urls.removeAll()
        slotBytes = 0
        sweepCursor = 0
    }

    func namespaceVersion(_ namespace: String) -> UInt64 {
        namespaces[namespace] ?? 0
    }

    mutating func bumpNamespace(_ namespace: String) -> UInt64 {
        let next = (namespaces[namespace] ?? 0) &+ 1
        namespaces[namespace] = next
        return next
    }

    /// Drops expired entries among the next `limit` LRU slots, resuming where the previous
    /// sweep stopped, so a periodic call holds the lock briefly however large the store is.
    mutating func reclaimExpired(now: CacheTime, limit: Int) -> Int {
        var reclaimed = 0
        var scanned = 0
        while scanned < min(limit, lru.slotCount) {
            if sweepCursor >= lru.slotCount { sweepCursor = 0 }
            if let (storeKey, record) = lru.entry(inSlot: sweepCursor), record.expiresAt <= now {
                lru.removeValue(forKey: storeKey)
                detach(storeKey, from: record.primary)
                counters.expirations += 1
                reclaimed += 1
            }
            sweepCursor += 1
            scanned += 1
        }
        return reclaimed
    }

    /// The record under `storeKey`, marked as just used; nil when absent or expired (an expired
    /// one is dropped). One hash and one copy of the record: looking first and then taking it
    /// had done each twice on every hit.
    private mutating func liveRecord(forKey storeKey: String, now: CacheTime) -> MemoryCacheRecord? {
        guard let record = lru.value(forKey: storeKey) else { return nil }
        guard record.expiresAt > now else {
            lru.removeValue(forKey: storeKey)
            detach(storeKey, from: record.primary)
            counters.expirations += 1
            return nil
        }
        return record
    }

    /// Forgets `storeKey` (just removed from the LRU) in its slot; an emptied slot goes too.
    private mutating func detach(_ storeKey: String, from primary: String) {
        // Taken out while changed, so the set of variants is never copied on write.
        guard var slot = primaries.removeValue(forKey: primary) else { return }
        if !slot.varyNames.isEmpty {
            slot.variants.remove(storeKey)
            if !slot.variants.isEmpty {
                primaries[primary] = slot
                return
            }
        }
        // Without `Vary` the slot's one entry was `storeKey` itself.
        forget(slot, primary)
    }

    /// Removes a slot with all its variants; returns how many entries went.
    @discardableResult
    private mutating func removeSlot(_ primary: String) -> Int {
        guard let slot = primaries[primary] else { return 0 }
        var removed = 0
        if slot.varyNames.isEmpty {
            removed = lru.removeValue(forKey: primary) == nil ? 0 : 1
        } else {
            for variant in slot.variants where lru.removeValue(forKey: variant) != nil {
                removed += 1
            }
        }
        primaries[primary] = nil
        forget(slot, primary)
        return removed
    }

    /// The accounting and URL index of a slot just taken out of `primaries`.
    private mutating func forget(_ slot: MemoryCachePrimarySlot, _ primary: String) {
        slotBytes -= slot.cost
        urls.remove(primary, url: slot.url.value)
    }
}
