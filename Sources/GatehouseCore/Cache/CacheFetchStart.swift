// CacheFetchStart: what a store shared by instances is told of a fetch, to refuse its response after a purge it missed.

/// When a fetch whose response is to be stored began, as a store shared by instances can check
/// it: another instance's purge of the URL after `time`, or of everything since `epoch`, means
/// the origin may have answered with what the purge was meant to drop.
public struct CacheFetchStart: Sendable, Equatable {
    /// When the fetch began (before its lookup): what a purge mark of its URL is compared with.
    public var time: CacheTime
    /// The store's `purgeEpoch` when the fetch went upstream; nil when the store had none.
    public var epoch: UInt64?

    public init(time: CacheTime, epoch: UInt64?) {
        self.time = time
        self.epoch = epoch
    }
}
