// TrackedKey: a memory-store key carrying its hash, so a request hashes each key's text once.

/// A store key with its hash computed once: the store uses the hash to pick the key's shard and then
/// looks the key up (and may insert it) in that shard's map; hashing the text again for each of
/// those steps was a measurable share of a request's cost.
struct TrackedKey: Hashable, Sendable {
    let text: String
    /// `text.hashValue`: seeded per process, which is all an in-memory table needs.
    let hash: Int
    /// The hash of the key's value (what follows `policy:`), which picks the shard: every
    /// policy's key of one client (one address group, one user) lies in the same shard, so a
    /// request that several policies count under one value takes one lock rather than one per
    /// policy, and the event loops serving that client meet on one lock, not several.
    private let shardHash: Int

    init(_ text: String) {
        self.text = text
        hash = text.hashValue
        shardHash = Self.value(of: text).hashValue
    }

    /// What the key counts by: the text after the policy name's `:` (config-validated policy
    /// names never hold one), or all of it when there is none.
    private static func value(of text: String) -> Substring {
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else { return text[...] }
        return text[text.utf8.index(after: colon)...]
    }

    static func == (lhs: TrackedKey, rhs: TrackedKey) -> Bool {
        lhs.hash == rhs.hash && lhs.text == rhs.text
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    /// Which of `count` shards holds this key, from its value's hash: from the high bits, as a
    /// shard's map picks buckets from the low bits of a hash (one of the text's, not this one,
    /// but low bits shared by all of a shard's keys would crowd them wherever they came from).
    func shard(among count: Int) -> Int {
        Int(UInt(bitPattern: shardHash).multipliedFullWidth(by: UInt(max(count, 1))).high)
    }

    /// The stored hash as the dictionary's bucket hash: it already is a seeded SipHash of the text,
    /// and hashing it again through a `Hasher` for every lookup was most of a lookup's cost.
    func _rawHashValue(seed: Int) -> Int {
        hash ^ seed
    }
}
