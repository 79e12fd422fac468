// MemoryCacheState: the memory store's data behind its lock — LRU entries, primary slots, URL index, namespaces.

/// Everything `MemoryCacheStore` guards. Invariant after every operation: `bytes` (entries +
/// keys + slots) is at most `budget`.
struct MemoryCacheState {
    let budget: Int
    let maxObjectSize: Int
    private var lru = CacheLRU<MemoryCacheRecord>()
    private var primaries: [String: MemoryCachePrimarySlot] = [:]
    /// URL key → primary keys stored under it, for purge by URL.
    private var urls: [String: Set<String>] = [:]
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
        guard let slot = primaries[primary.value] else { return .miss }
        guard slot.varyNames.isEmpty else { return .varies(on: slot.varyNames) }
        return liveEntry(forKey: primary.value, now: now).map(CachePrimaryLookup.entry) ?? .miss
    }

    mutating func lookup(_ key: CacheKey, now: CacheTime) -> CacheEntry? {
        liveEntry(forKey: key.value, now: now)
    }

    mutating func store(_ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime) -> Bool {
        let cost = entry.storageCost + key.value.utf8.count
        let newSlot = MemoryCachePrimarySlot(primary: key.primary, varyNames: key.varyNames)
        guard retention > 0, key.varyNames == entry.varyNames,
              entry.body.readableBytes <= maxObjectSize, cost + newSlot.cost <= budget
        else {
            counters.refused += 1
            return false
        }
        if let existing = primaries[key.primary.value], existing.varyNames != key.varyNames {
            removeSlot(key.primary.value)
        }
        if primaries[key.primary.value] == nil {
            primaries[key.primary.value] = newSlot
            urls[key.primary.url.value, default: []].insert(key.primary.value)
            slotBytes += newSlot.cost
        }
        primaries[key.primary.value]?.members.insert(key.value)
        lru.insert(MemoryCacheRecord(entry: entry, key: key, expiresAt: now + retention), forKey: key.value, cost: cost)
        counters.stores += 1
        while bytes > budget, let (victim, record) = lru.removeOldest() {
            detach(victim, from: record.key.primary.value)
            counters.evictions += 1
        }
        return true
    }

    mutating func remove(_ key: CacheKey) {
        guard lru.removeValue(forKey: key.value) != nil else { return }
        detach(key.value, from: key.primary.value)
    }

    mutating func purge(_ url: CacheURLKey) -> Int {
        guard let primaryKeys = urls[url.value] else { return 0 }
        var removed = 0
        for primary in primaryKeys {
            removed += removeSlot(primary)
        }
        return removed
    }

    mutating func purgeAll() {
        lru.removeAll()
        primaries = [:]
        urls = [:]
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
                detach(storeKey, from: record.key.primary.value)
                counters.expirations += 1
                reclaimed += 1
            }
            sweepCursor += 1
            scanned += 1
        }
        return reclaimed
    }

    private mutating func liveEntry(forKey storeKey: String, now: CacheTime) -> CacheEntry? {
        guard let record = lru.peek(storeKey) else { return nil }
        guard record.expiresAt > now else {
            lru.removeValue(forKey: storeKey)
            detach(storeKey, from: record.key.primary.value)
            counters.expirations += 1
            return nil
        }
        return lru.value(forKey: storeKey)?.entry
    }

    /// Forgets `storeKey` in its slot; an emptied slot goes too.
    private mutating func detach(_ storeKey: String, from primary: String) {
        guard var slot = primaries[primary] else { return }
        slot.members.remove(storeKey)
        if slot.members.isEmpty {
            dropSlot(primary, slot)
        } else {
            primaries[primary] = slot
        }
    }

    /// Removes a slot with all its variants; returns how many entries went.
    @discardableResult
    private mutating func removeSlot(_ primary: String) -> Int {
        guard let slot = primaries[primary] else { return 0 }
        var removed = 0
        for member in slot.members where lru.removeValue(forKey: member) != nil {
            removed += 1
        }
        dropSlot(primary, slot)
        return removed
    }

    private mutating func dropSlot(_ primary: String, _ slot: MemoryCachePrimarySlot) {
        primaries[primary] = nil
        slotBytes -= slot.cost
        urls[slot.url.value]?.remove(primary)
        if urls[slot.url.value]?.isEmpty == true {
            urls[slot.url.value] = nil
        }
    }
}
