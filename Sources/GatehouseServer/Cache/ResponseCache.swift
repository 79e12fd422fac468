// ResponseCache: the cache stage of one runtime — policy from the config, store and flights shared across reloads.
import GatehouseCore
import GatehouseRedis
import Metrics
import NIOCore
import NIOHTTP1

/// What the data path needs to cache: the policy (rules, keys, freshness) built from the
/// current config, and the store and single-flight table, which a reload keeps when the store
/// settings are unchanged so a reload does not empty the cache.
final class ResponseCache: Sendable {
    let policy: CachePolicy
    let store: any CacheStore
    let flights: CacheFlights
    /// The URLs invalidated lately: a fetch begun before its URL's invalidation stores nothing.
    let invalidations: CacheInvalidationLog
    /// Invalidations the store failed to carry out: what they meant to drop reads as a miss here
    /// until their retry succeeds.
    let tombstones: CacheTombstones
    /// `gatehouse_cache_stores_total`: counted here, where every store (a client's fetch, a
    /// background refresh) is known to be in.
    private let stores: Metrics.Counter
    /// How long a lookup waits for a remote store before it counts as a miss; nil for memory.
    let remoteDeadline: TimeAmount?
    /// The store when it is this process's memory, which answers at once (no future per hit).
    private let memoryStore: MemoryCacheStore?
    /// Each event loop's memo of URLs known absent and unstorable. New with every runtime: a
    /// reload may change the rules that turn a URL into a key.
    private let passMemos: PerEventLoop<CachePassMemo>
    private let storeSettings: StoreSettings

    /// What decides whether a reload can keep the store (and its entries).
    private struct StoreSettings: Equatable {
        let kind: CacheStoreKind
        let budget: Int
        let maxObjectSize: Int
        /// nil for a memory store: a change to `redis:` (or the rate limiter starting or stopping
        /// to use Redis) must not empty this process's cache.
        let remote: RemoteStore?
    }

    /// What only a Redis store is made from.
    private struct RemoteStore: Equatable {
        let keyPrefix: String
        let redis: ObjectIdentifier?
    }

    /// nil when `cache.store` is off.
    static func make(
        config: GatehouseConfig, previous: ResponseCache?, redis: RedisLink?, group: any EventLoopGroup, metrics: GatehouseMetrics
    ) -> ResponseCache? {
        let cache = config.cache
        guard cache.store != .off else { return nil }
        let settings = StoreSettings(
            kind: cache.store, budget: cache.memoryBudget, maxObjectSize: cache.maxObjectSize,
            remote: cache.store == .redis ? RemoteStore(keyPrefix: config.redis.keyPrefix, redis: redis.map { ObjectIdentifier($0) }) : nil
        )
        if let previous, previous.storeSettings == settings {
            // A new cache.version makes every stored key unreachable: a memory store lets go of
            // them now instead of keeping them charged to the budget until the LRU reaches them.
            // (A Redis store's expire by their TTLs; other instances may still be on the old version.)
            if previous.policy.keys.version != cache.version {
                previous.memoryStore?.purgeAll()
            }
            return ResponseCache(
                policy: CachePolicy(config: cache), store: previous.store, flights: previous.flights,
                invalidations: previous.invalidations, tombstones: previous.tombstones, settings: settings, remoteDeadline: previous.remoteDeadline, group: group,
                metrics: metrics
            )
        }
        let store: any CacheStore
        if cache.store == .redis, let redis {
            // Shared by every instance; a failing Redis is a miss, never an error to the client.
            store = RedisCacheStore(client: redis.client, keyPrefix: config.redis.keyPrefix, maxObjectSize: cache.maxObjectSize)
        } else {
            store = MemoryCacheStore(budget: cache.memoryBudget, maxObjectSize: cache.maxObjectSize)
        }
        let deadline: TimeAmount? = cache.store == .redis ? config.redis.storeDeadline : nil
        let invalidations = CacheInvalidationLog()
        let tombstones = CacheTombstones(
            store: store, invalidations: invalidations, eventLoop: group.next(), connects: cache.store == .redis ? redis?.connects : nil,
            metrics: metrics
        )
        return ResponseCache(
            policy: CachePolicy(config: cache), store: store, flights: CacheFlights(), invalidations: invalidations,
            tombstones: tombstones, settings: settings, remoteDeadline: deadline, group: group, metrics: metrics
        )
    }

    private init(
        policy: CachePolicy, store: any CacheStore, flights: CacheFlights, invalidations: CacheInvalidationLog,
        tombstones: CacheTombstones, settings: StoreSettings, remoteDeadline: TimeAmount?, group: any EventLoopGroup, metrics: GatehouseMetrics
    ) {
        self.stores = metrics.counter(GatehouseMetrics.Name.cacheStores, [:])
        self.policy = policy
        self.store = store
        self.flights = flights
        self.invalidations = invalidations
        self.tombstones = tombstones
        self.storeSettings = settings
        self.remoteDeadline = remoteDeadline
        self.memoryStore = store as? MemoryCacheStore
        self.passMemos = PerEventLoop(group: group) { _, _ in CachePassMemo() }
    }

    /// `eventLoop`'s memo of URLs known absent and unstorable; nil off the group's loops.
    func passMemo(on eventLoop: any EventLoop) -> CachePassMemo? {
        passMemos.value(for: eventLoop)
    }

    /// Whether a response fetched since `fetchMark` (`invalidations.mark` when its fetch
    /// began) may be stored under `key`: not when a write or purge invalidated its URL since.
    func mayStore(_ key: CacheKey, fetchMark: UInt64) -> Bool {
        !invalidations.invalidated(key.primary.url, since: fetchMark)
    }

    /// Stores `entry` under `key` unless its URL was invalidated since its fetch began
    /// (`fetchMark` here, `fetch` in a shared store), and counts the store once it is in, which ends every pass memo's marks
    /// (the URL they are about may be the one just stored), and in `gatehouse_cache_stores_total`.
    /// Completes with whether it stored.
    @discardableResult
    func insert(
        _ entry: CacheEntry, for key: CacheKey, retention: Int64, fetchMark: UInt64, fetch: CacheFetchStart, now: CacheTime,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<Bool> {
        guard mayStore(key, fetchMark: fetchMark), !tombstones.refusesFetch(begunAt: fetch.time) else {
            return eventLoop.makeSucceededFuture(false)
        }
        let flights = self.flights
        let store = self.store
        let invalidations = self.invalidations
        let tombstones = self.tombstones
        let stores = self.stores
        // A store shared with other instances also refuses it when one of them purged the URL or
        // everything after the fetch began (through another instance, which this log cannot see).
        return store.store(entry, for: key, retention: retention, now: now, fetch: fetch, on: eventLoop).flatMap { stored in
            guard stored else { return eventLoop.makeSucceededFuture(false) }
            // An invalidation that came between the check and the store may have purged before
            // this entry was in: looked at again now that it is, and undone. One that comes
            // after this look purges after the store, which removes the entry itself.
            guard !invalidations.invalidated(key.primary.url, since: fetchMark), !tombstones.refusesFetch(begunAt: fetch.time) else {
                return store.remove(key, on: eventLoop).map { false }
            }
            flights.noteStored()
            stores.increment()
            return eventLoop.makeSucceededFuture(true)
        }
    }

    /// What the memory store holds for `exchange`'s request, synchronously, with the primary key
    /// it looked under set on `exchange`; nil when the store is remote (use `lookup`).
    /// `varyHeaders` are asked for only when the URL's responses vary. (The result alone is
    /// returned, not paired with the key: taking a tuple apart copied the whole result.)
    func lookupNow(for exchange: CacheExchange, varyHeaders: () -> HTTPHeaders) -> CacheLookupResult? {
        guard let memoryStore else { return nil }
        let version = exchange.request.rule?.namespace.map { memoryStore.namespaceVersion($0) } ?? 0
        let primary = policy.keys.primaryKey(for: exchange.request, namespaceVersion: version)
        exchange.primary = primary
        let found = memoryStore.find(primary, requestHeaders: varyHeaders, now: .now())
        guard tombstones.isActive, let bar = tombstones.bar(for: exchange.request) else { return found }
        return found.hidingEntries(storedBy: bar)
    }

    /// What is stored for `request`; a remote store that does not answer in time is a miss.
    /// `varyHeaders` are asked for only when the URL's responses vary (as in `lookupNow`).
    func lookup(
        _ request: CacheableRequest, varyHeaders: @escaping () -> HTTPHeaders, on eventLoop: any EventLoop,
        deadlines: StoreDeadlines
    ) -> EventLoopFuture<(CachePrimaryKey, CacheLookupResult)> {
        let store = self.store
        // Taken now, not when the answer comes: a retry that succeeds meanwhile may have purged
        // after this lookup read what it purged.
        let bar = tombstones.isActive ? tombstones.bar(for: request) : nil
        let find = { (primary: CachePrimaryKey) -> EventLoopFuture<(CachePrimaryKey, CacheLookupResult)> in
            let found = store.find(primary, requestHeaders: varyHeaders, now: .now(), on: eventLoop)
            guard let bar else { return found.map { (primary, $0) } }
            return found.map { (primary, $0.hidingEntries(storedBy: bar)) }
        }
        let found: EventLoopFuture<(CachePrimaryKey, CacheLookupResult)>
        if request.rule?.namespace == nil {
            // The usual case: the key is known now, so no future stands in for it.
            found = find(policy.keys.primaryKey(for: request, namespaceVersion: 0))
        } else {
            found = primaryKey(for: request, on: eventLoop).flatMap(find)
        }
        guard let remoteDeadline else { return found }
        return deadlines.bound(found, by: remoteDeadline)
    }

    /// The primary key of `request`, after reading its namespace's current version.
    func primaryKey(for request: CacheableRequest, on eventLoop: any EventLoop) -> EventLoopFuture<CachePrimaryKey> {
        guard let namespace = request.rule?.namespace else {
            return eventLoop.makeSucceededFuture(policy.keys.primaryKey(for: request, namespaceVersion: 0))
        }
        let policy = self.policy
        return store.namespaceVersion(namespace, on: eventLoop).map { version in
            policy.keys.primaryKey(for: request, namespaceVersion: version)
        }
    }

    /// Applies what a successful write invalidates (RFC 9111 §4.4): purges its URLs (under the
    /// current namespace versions), then bumps the namespaces. Completes when done, so the
    /// writer's response goes out after its effect on the cache; what the store failed to do is
    /// buried in `tombstones` by then (hidden here, and retried).
    func invalidate(_ invalidation: CacheInvalidation, on eventLoop: any EventLoop) -> EventLoopFuture<Int> {
        let time = CacheTime.now()
        let purges = invalidation.targets.map { target -> EventLoopFuture<Int> in
            purge(target, at: time, on: eventLoop).recover { _ in 0 }
        }
        return EventLoopFuture.whenAllSucceed(purges, on: eventLoop).flatMap { counts in
            let bumps = invalidation.namespaces.map { self.bumpNamespace($0, at: time, on: eventLoop).map { _ in () } }
            return EventLoopFuture.whenAllComplete(bumps, on: eventLoop).map { _ in counts.reduce(0, +) }
        }
    }

    /// Purges every entry of `target` (`POST /admin/purge {"url": …}`, or a write); a failure is
    /// buried in `tombstones` and then passed on.
    func purge(_ target: CacheTarget, at time: CacheTime = .now(), on eventLoop: any EventLoop) -> EventLoopFuture<Int> {
        let tombstones = self.tombstones
        let keys = policy.keys
        // Looked up once per target: it normalises the target's path.
        let namespace = policy.namespace(of: target)
        return store.purge(target, namespace: namespace, keys: keys, noting: invalidations, on: eventLoop).flatMapErrorThrowing { error in
            tombstones.bury(.url(target, namespace: namespace, keys: keys), at: time)
            throw error
        }
    }

    /// Bumps `namespace` (`POST /admin/purge {"namespace": …}`, or a write); a failure is buried
    /// in `tombstones` and then passed on.
    func bumpNamespace(_ namespace: String, at time: CacheTime = .now(), on eventLoop: any EventLoop) -> EventLoopFuture<UInt64> {
        let tombstones = self.tombstones
        return store.bumpNamespace(namespace, on: eventLoop).flatMapErrorThrowing { error in
            tombstones.bury(.namespace(namespace), at: time)
            throw error
        }
    }

    /// Drops everything (`POST /admin/purge {"all": true}`); a failure is buried in `tombstones`
    /// and then passed on.
    func purgeAll(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let tombstones = self.tombstones
        let time = CacheTime.now()
        // Noted first: no fetch begun before the purge stores what it read.
        invalidations.recordAll()
        return store.purgeAll(on: eventLoop).flatMapErrorThrowing { error in
            tombstones.bury(.everything, at: time)
            throw error
        }
    }
}
