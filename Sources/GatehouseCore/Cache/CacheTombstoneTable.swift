// CacheTombstoneTable: the failed invalidations still to retry, bounded, and what they hide meanwhile.

/// Tombstones by URL and by namespace, plus one for everything. Bounded: past `capacity` the
/// URLs and namespaces collapse into one tombstone for everything at the latest time (every
/// entry stored no later than that reads as a miss, and the retry purges the whole store once),
/// since dropping one would leave its stale entries readable. Not thread-safe: its owner locks.
public struct CacheTombstoneTable: Sendable {
    /// Seconds a stored response must be younger than a tombstone to be served: instances'
    /// clocks may be a little apart, as for the store's purge marks.
    public static let clockMargin: Int64 = 1

    public let capacity: Int
    private var urls: [CacheTarget: CacheTombstone] = [:]
    private var namespaces: [String: CacheTombstone] = [:]
    private var everything: CacheTombstone?
    private var generations: UInt64 = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public var isEmpty: Bool { everything == nil && urls.isEmpty && namespaces.isEmpty }

    /// How many tombstones wait for their retry.
    public var count: Int { urls.count + namespaces.count + (everything == nil ? 0 : 1) }

    /// Every tombstone, for a retry round.
    public var all: [CacheTombstone] {
        Array(urls.values) + Array(namespaces.values) + (everything.map { [$0] } ?? [])
    }

    /// The latest invalidation of any subject: a fetch begun no later stores nothing (its URL
    /// may be one whose version could not be read, so it is not matched by URL).
    public var latest: CacheTime? {
        let kept = urls.values.lazy.map(\.time).max()
        let named = namespaces.values.lazy.map(\.time).max()
        return [kept, named, everything?.time].compactMap { $0 }.max()
    }

    /// Keeps a tombstone for `subject` at `time` (replacing an earlier one of the same subject);
    /// returns it.
    @discardableResult
    public mutating func bury(_ subject: CacheTombstone.Subject, at time: CacheTime) -> CacheTombstone {
        generations += 1
        switch subject {
        case .url(let target, _, _):
            let tombstone = CacheTombstone(subject: subject, time: max(time, urls[target]?.time ?? time), generation: generations)
            urls[target] = tombstone
            collapseIfFull()
            return everything ?? tombstone
        case .namespace(let name):
            let tombstone = CacheTombstone(subject: subject, time: max(time, namespaces[name]?.time ?? time), generation: generations)
            namespaces[name] = tombstone
            collapseIfFull()
            return everything ?? tombstone
        case .everything:
            // Covers every URL and namespace buried so far: one purge of everything retries them all.
            let latest = max(time, self.latest ?? time)
            urls.removeAll()
            namespaces.removeAll()
            let tombstone = CacheTombstone(subject: .everything, time: latest, generation: generations)
            everything = tombstone
            return tombstone
        }
    }

    /// Drops `tombstone` once its retry succeeded, unless its subject was buried again since.
    public mutating func settle(_ tombstone: CacheTombstone) {
        switch tombstone.subject {
        case .url(let target, _, _):
            if urls[target]?.generation == tombstone.generation { urls[target] = nil }
        case .namespace(let name):
            if namespaces[name]?.generation == tombstone.generation { namespaces[name] = nil }
        case .everything:
            if everything?.generation == tombstone.generation { everything = nil }
        }
    }

    /// Forgets everything (the store it was for is gone).
    public mutating func removeAll() {
        urls.removeAll()
        namespaces.removeAll()
        everything = nil
    }

    /// The time a response of `target` under `namespace` must have been stored after (less the
    /// clock margin) to be served; nil when nothing hides it.
    public func bar(for target: CacheTarget, namespace: String?) -> CacheTime? {
        var bar = everything?.time
        if let time = urls[target]?.time { bar = max(bar ?? time, time) }
        if let namespace, let time = namespaces[namespace]?.time { bar = max(bar ?? time, time) }
        return bar
    }

    /// Whether a response stored at `responseTime` is hidden by `bar` (see `bar(for:namespace:)`).
    public static func hides(responseTime: CacheTime, bar: CacheTime) -> Bool {
        responseTime <= bar + clockMargin
    }

    private mutating func collapseIfFull() {
        guard urls.count + namespaces.count > capacity else { return }
        bury(.everything, at: latest ?? CacheTime(secondsSince1970: 0))
    }
}
