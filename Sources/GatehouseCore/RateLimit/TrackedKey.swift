// TrackedKey: a memory-store key carrying its hash, so a request hashes each key's text once.

/// A store key with its hash computed once: the store uses the hash to pick the key's shard and then
/// looks the key up (and may insert it) in that shard's map; hashing the text again for each of
/// those steps was a measurable share of a request's cost.
struct TrackedKey: Hashable, Sendable {
    let text: String
    /// `text.hashValue`: seeded per process, which is all an in-memory table needs.
    let hash: Int

    init(_ text: String) {
        self.text = text
        hash = text.hashValue
    }

    static func == (lhs: TrackedKey, rhs: TrackedKey) -> Bool {
        lhs.hash == rhs.hash && lhs.text == rhs.text
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    /// Which of `count` shards holds this key, from the hash's high bits: a shard's map picks
    /// buckets from the low bits, and had the shard come from them too (`hash % 16`) every key
    /// of a shard would share its low four bits, crowding into a sixteenth of the buckets.
    func shard(among count: Int) -> Int {
        Int(UInt(bitPattern: hash).multipliedFullWidth(by: UInt(max(count, 1))).high)
    }

    /// The stored hash as the dictionary's bucket hash: it already is a seeded SipHash of the text,
    /// and hashing it again through a `Hasher` for every lookup was most of a lookup's cost.
    func _rawHashValue(seed: Int) -> Int {
        hash ^ seed
    }
}
