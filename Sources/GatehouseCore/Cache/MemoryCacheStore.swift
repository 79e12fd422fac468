// MemoryCacheStore: the in-process cache store — LRU by bytes within a budget, shared by all event loops.
import NIOCore
import NIOHTTP1
import Synchronization

/// A `CacheStore` in this process's memory. One lock guards it; every operation under the lock
/// is O(1) (purges are O(variants of the URL), sweeps are bounded by their `limit`). The
/// synchronous methods are the hot path; the future-returning `CacheStore` methods wrap them
/// in completed futures.
public final class MemoryCacheStore: CacheStore {
    private let state: Mutex<MemoryCacheState>
    /// Moves large bodies into memory files (sent with `sendfile`) before they are stored.
    public let bodyFiler: CacheBodyFiler

    /// `budget`: most bytes held (entries, keys, indexes); `maxObjectSize`: largest body stored.
    public init(budget: Int, maxObjectSize: Int, bodyFiler: CacheBodyFiler = CacheBodyFiler()) {
        let state = MemoryCacheState(budget: budget, maxObjectSize: maxObjectSize)
        self.budget = state.budget
        self.state = Mutex(state)
        self.bodyFiler = bodyFiler
    }

    public convenience init(config: CacheConfig) {
        self.init(budget: config.memoryBudget, maxObjectSize: config.maxObjectSize)
    }

    /// Most bytes held; fixed, so read without the lock.
    public let budget: Int

    public func lookup(_ primary: CachePrimaryKey, now: CacheTime) -> CachePrimaryLookup {
        state.withLock { $0.lookup(primary, now: now) }
    }

    public func lookup(_ key: CacheKey, now: CacheTime) -> CacheEntry? {
        state.withLock { $0.lookup(key, now: now) }
    }

    /// Both levels under one lock.
    public func find(_ primary: CachePrimaryKey, requestHeaders: HTTPHeaders, now: CacheTime) -> CacheLookupResult {
        find(primary, requestHeaders: { requestHeaders }, now: now)
    }

    /// Both levels under one lock; `requestHeaders` is called only when the URL's responses vary.
    public func find(_ primary: CachePrimaryKey, requestHeaders: () -> HTTPHeaders, now: CacheTime) -> CacheLookupResult {
        state.withLock { state in
            switch state.lookup(primary, now: now) {
            case .miss:
                return .uriMiss
            case .entry(let entry):
                return .hit(entry, CacheKey(primary: primary, varyNames: [], requestHeaders: HTTPHeaders()))
            case .varies(let names):
                let key = CacheKey(primary: primary, varyNames: names, requestHeaders: requestHeaders())
                return state.lookup(key, now: now).map { .hit($0, key) } ?? .varyMiss(key)
            }
        }
    }

    /// False when refused: body over `maxObjectSize`, entry over the budget, no retention, or
    /// `key.varyNames` not the entry's.
    @discardableResult
    public func store(_ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime) -> Bool {
        // Filed outside the lock (a copy and three system calls); an entry the state then
        // refuses just closes its file again.
        let entry = retention > 0 ? bodyFiler.filed(entry) : entry
        return state.withLock { $0.store(entry, for: key, retention: retention, now: now) }
    }

    public func remove(_ key: CacheKey) {
        state.withLock { $0.remove(key) }
    }

    @discardableResult
    public func purge(_ url: CacheURLKey) -> Int {
        state.withLock { $0.purge(url) }
    }

    public func namespaceVersion(_ namespace: String) -> UInt64 {
        state.withLock { $0.namespaceVersion(namespace) }
    }

    @discardableResult
    public func bumpNamespace(_ namespace: String) -> UInt64 {
        state.withLock { $0.bumpNamespace(namespace) }
    }

    public func purgeAll() {
        state.withLock { $0.purgeAll() }
    }

    /// Drops expired entries among the next `limit` slots (call it periodically, e.g. every
    /// second with a limit of a few thousand); returns how many went. Lookups also drop the
    /// expired entries they meet.
    @discardableResult
    public func reclaimExpired(now: CacheTime, limit: Int = 4096) -> Int {
        state.withLock { $0.reclaimExpired(now: now, limit: limit) }
    }

    public var stats: CacheStoreStats {
        state.withLock { $0.stats }
    }

    /// Store keys from least to most recently used (tests, diagnostics).
    var keysFromOldest: [String] {
        state.withLock { $0.keysFromOldest }
    }
}
