// MemoryCachePrimarySlot: the memory store's record of one primary key and its variants.

/// Which variants of a primary key are stored, and the `Vary` names they were keyed by.
/// Lives as long as one of its variants does.
struct MemoryCachePrimarySlot: Sendable {
    var url: CacheURLKey
    var varyNames: [String]
    /// Store keys of the live variants (the primary key itself for a response without `Vary`).
    var members: Set<String> = []
    /// Bytes charged to the budget for this bookkeeping.
    var cost: Int

    init(primary: CachePrimaryKey, varyNames: [String]) {
        self.url = primary.url
        self.varyNames = varyNames
        self.cost = Self.overhead + primary.value.utf8.count + varyNames.reduce(0) { $0 + $1.utf8.count + 16 }
    }

    static let overhead = 96
}
