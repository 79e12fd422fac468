// MemoryCachePrimarySlot: the memory store's record of one primary key and its variants.

/// Which variants of a primary key are stored, and the `Vary` names they were keyed by.
/// Lives as long as one of its variants does.
struct MemoryCachePrimarySlot: Sendable {
    var url: CacheURLKey
    var varyNames: [String]
    /// Store keys of the live variants of a response with `Vary`. Empty without `Vary`: then the
    /// slot's one entry lives under the primary key itself, and no set is allocated for it.
    var variants: Set<String> = []
    /// Bytes charged to the budget for this bookkeeping.
    var cost: Int

    init(primary: CachePrimaryKey, varyNames: [String]) {
        self.url = primary.url
        self.varyNames = varyNames
        self.cost = Self.overhead + primary.value.utf8.count + primary.url.value.utf8.count
            + varyNames.reduce(0) { $0 + $1.utf8.count + 16 }
    }

    /// The slot's memory besides the bytes of its key strings: its buckets in the store's
    /// primary-key dictionary (key and this struct, 56 bytes) and URL index (40 bytes), each
    /// dictionary between 3/8 and 3/4 full; the heap objects around the primary-key and URL-key
    /// strings (a 32-byte header, rounding and malloc's chunk header: about 64 bytes each).
    /// Checked with the per-entry cost (see `CacheEntry.overhead`).
    static let overhead = 320

    /// What each variant of a response with `Vary` adds besides its key's bytes: its member in
    /// `variants` and the heap object of its own store key, which is built by appending and so
    /// carries up to its own length again in spare capacity. Measured: 250 to 300 bytes.
    static let variantOverhead = 320
}
