// LRUMap: a dictionary bounded by a count that forgets the least recently used key, all in O(1).

/// A key-value map holding at most `capacity` entries; past it, the least recently used goes.
///
/// Entries live in one array, chained newest-to-oldest by indices (an intrusive doubly linked
/// list), so touching, inserting and evicting are O(1) and the whole map is a value type that can
/// sit inside a `Mutex`.
struct LRUMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var key: Key
        var value: Value
        /// Index of the next more recently used node, or -1.
        var newer: Int
        /// Index of the next less recently used node, or -1.
        var older: Int
    }

    /// Entries beyond this many evict the least recently used; 0 keeps nothing.
    let capacity: Int
    private var nodes: [Node] = []
    private var indices: [Key: Int] = [:]
    /// Slots of `nodes` freed by `removeOldest`, reused before the array grows.
    private var freeSlots: [Int] = []
    private var newest = -1
    private var oldest = -1
    /// Changes whenever an entry is added or removed (which may move a key to another slot), so a
    /// `Position` taken before can tell it is out of date.
    private var layout: UInt64 = 0

    /// Where a key's entry sits, from `position(of:)`: lets a caller that looked a key up read or
    /// change the entry without hashing and looking the key up again. It stays good while no entry
    /// is added or removed; after that, the methods taking one look the key up instead.
    struct Position: Sendable {
        fileprivate let index: Int
        fileprivate let layout: UInt64
    }

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
    }

    var count: Int { indices.count }

    /// Where `key`'s entry sits now; nil when absent.
    func position(of key: Key) -> Position? {
        indices[key].map { Position(index: $0, layout: layout) }
    }

    /// The value for `key`, without marking it used; `position`, when still good, saves the lookup.
    func peek(_ key: Key, at position: Position? = nil) -> Value? {
        index(of: key, at: position).map { nodes[$0].value }
    }

    /// The least recently used value, if any.
    var oldestValue: Value? {
        oldest >= 0 ? nodes[oldest].value : nil
    }

    /// Marks `key` as just used, if present.
    mutating func touch(_ key: Key, at position: Position? = nil) {
        guard let index = index(of: key, at: position) else { return }
        moveToNewest(index)
    }

    /// Changes the value for `key` in place (inserting `initial` first when absent), marks it just
    /// used and returns what `change` returns; inserting past `capacity` evicts the least recently
    /// used entry. Nil (and nothing changed) only when `capacity` is 0. `position`, when still
    /// good, saves looking up a key that is present.
    @discardableResult
    mutating func update<Result>(
        _ key: Key, at position: Position? = nil, initial: @autoclosure () -> Value, _ change: (inout Value) -> Result
    ) -> Result? {
        if let index = index(of: key, at: position) {
            let result = change(&nodes[index].value)
            moveToNewest(index)
            return result
        }
        guard capacity > 0 else { return nil }
        var value = initial()
        let result = change(&value)
        let index: Int
        if indices.count >= capacity, oldest >= 0 {
            // Reuse the evicted node's slot: memory stays at `capacity` nodes.
            index = oldest
            unlink(index)
            indices[nodes[index].key] = nil
            nodes[index] = Node(key: key, value: value, newer: -1, older: -1)
        } else if let free = freeSlots.popLast() {
            index = free
            nodes[index] = Node(key: key, value: value, newer: -1, older: -1)
        } else {
            index = nodes.count
            nodes.append(Node(key: key, value: value, newer: -1, older: -1))
        }
        indices[key] = index
        layout &+= 1
        linkAsNewest(index)
        return result
    }

    /// Removes up to `maximum` least recently used entries while `isStale` says they may go.
    mutating func removeOldest(upTo maximum: Int, where isStale: (Value) -> Bool) {
        var removed = 0
        while removed < maximum, oldest >= 0, isStale(nodes[oldest].value) {
            let index = oldest
            unlink(index)
            indices[nodes[index].key] = nil
            freeSlots.append(index)
            removed += 1
        }
        if removed > 0 {
            layout &+= 1
        }
        if indices.isEmpty {
            // Nothing tracked: give the memory back rather than keep a peak-sized array around.
            nodes = []
            freeSlots = []
        }
    }

    /// Changes every value in place, without marking any used or moving any.
    mutating func changeEach(_ change: (Key, inout Value) -> Void) {
        for index in indices.values {
            change(nodes[index].key, &nodes[index].value)
        }
    }

    /// `position`'s slot while nothing has been added or removed since it was taken, else a lookup.
    private func index(of key: Key, at position: Position?) -> Int? {
        guard let position, position.layout == layout else { return indices[key] }
        assert(nodes[position.index].key == key, "a position is only good for the key it was taken for")
        return position.index
    }

    private mutating func moveToNewest(_ index: Int) {
        guard index != newest else { return }
        unlink(index)
        linkAsNewest(index)
    }

    private mutating func unlink(_ index: Int) {
        let newer = nodes[index].newer
        let older = nodes[index].older
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[index].newer = -1
        nodes[index].older = -1
    }

    private mutating func linkAsNewest(_ index: Int) {
        nodes[index].older = newest
        nodes[index].newer = -1
        if newest >= 0 { nodes[newest].newer = index }
        newest = index
        if oldest < 0 { oldest = index }
    }
}
