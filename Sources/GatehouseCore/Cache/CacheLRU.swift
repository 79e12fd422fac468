// CacheLRU: a map with O(1) lookup, recency update and least-recently-used removal, tracking a cost.

/// A dictionary plus an intrusive doubly linked list threaded through an array of nodes (no
/// object per entry, freed slots reused). Knows nothing about budgets: the owner decides what
/// to evict and when.
struct CacheLRU<Value> {
    private struct Node {
        var key: String
        var value: Value?
        var cost: Int
        var newer: Int
        var older: Int
    }

    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    private var slots: [String: Int] = [:]
    /// Most recently used.
    private var newest = -1
    /// Least recently used: the next eviction.
    private var oldest = -1
    private(set) var totalCost = 0

    var count: Int { slots.count }

    /// The value for `key`, which becomes the most recently used.
    mutating func value(forKey key: String) -> Value? {
        guard let slot = slots[key] else { return nil }
        moveToNewest(slot)
        return nodes[slot].value
    }

    /// Inserts or replaces `key` as the most recently used; returns the value it replaced.
    @discardableResult
    mutating func insert(_ value: Value, forKey key: String, cost: Int) -> Value? {
        if let slot = slots[key] {
            let previous = nodes[slot].value
            totalCost += cost - nodes[slot].cost
            nodes[slot].value = value
            nodes[slot].cost = cost
            moveToNewest(slot)
            return previous
        }
        let node = Node(key: key, value: value, cost: cost, newer: -1, older: -1)
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            nodes[slot] = node
        } else {
            slot = nodes.count
            nodes.append(node)
        }
        slots[key] = slot
        totalCost += cost
        linkAsNewest(slot)
        return nil
    }

    @discardableResult
    mutating func removeValue(forKey key: String) -> Value? {
        guard let slot = slots[key] else { return nil }
        return release(slot)
    }

    /// Removes and returns the least recently used entry.
    mutating func removeOldest() -> (key: String, value: Value)? {
        guard oldest >= 0 else { return nil }
        let key = nodes[oldest].key
        guard let value = release(oldest) else { return nil }
        return (key, value)
    }

    /// Keys from least to most recently used (tests and diagnostics; O(n)).
    var keysFromOldest: [String] {
        var keys: [String] = []
        var slot = oldest
        while slot >= 0 {
            keys.append(nodes[slot].key)
            slot = nodes[slot].newer
        }
        return keys
    }

    /// The number of node slots, live or free: the range a sweep walks.
    var slotCount: Int { nodes.count }

    /// The live entry in `slot`, if any, without touching its recency.
    func entry(inSlot slot: Int) -> (key: String, value: Value)? {
        guard slot >= 0, slot < nodes.count, let value = nodes[slot].value else { return nil }
        return (nodes[slot].key, value)
    }

    mutating func removeAll() {
        self = CacheLRU()
    }

    private mutating func release(_ slot: Int) -> Value? {
        unlink(slot)
        let value = nodes[slot].value
        slots[nodes[slot].key] = nil
        totalCost -= nodes[slot].cost
        nodes[slot] = Node(key: "", value: nil, cost: 0, newer: -1, older: -1)
        freeSlots.append(slot)
        return value
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    private mutating func linkAsNewest(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = -1
        if newest >= 0 {
            nodes[newest].newer = slot
        }
        newest = slot
        if oldest < 0 {
            oldest = slot
        }
    }

    private mutating func unlink(_ slot: Int) {
        let newer = nodes[slot].newer
        let older = nodes[slot].older
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[slot].newer = -1
        nodes[slot].older = -1
    }
}
