// CacheTombstone: an invalidation the store failed to carry out — what it was for, and when.

/// A purge or namespace bump that failed (the store was unreachable or timed out), kept until
/// it is carried out: meanwhile a stored response of its subject from no later than `time` is
/// read as a miss, and it is retried.
public struct CacheTombstone: Sendable, Equatable {
    public enum Subject: Sendable, Equatable {
        /// Every entry of one URL, whatever namespace version or user: the purge to retry reads
        /// `namespace`'s version and purges under `keys`, as the write meant to.
        case url(CacheTarget, namespace: String?, keys: CacheKeyBuilder)
        /// A namespace whose version a write or purge meant to bump.
        case namespace(String)
        /// Everything: a purge of the whole cache, or the table past its capacity.
        case everything
    }

    public let subject: Subject
    /// The wall-clock second of the invalidation (the latest, when several failed).
    public let time: CacheTime
    /// Which burial this is: a retry settles it only if none came after the one it retried.
    public let generation: UInt64
}
