// CacheTombstones: invalidations the store failed to carry out — their entries read as misses until a retry succeeds.
import GatehouseCore
import GatehouseRedis
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// With Redis unreachable, slow or reconnecting, a write's purge or namespace bump fails while
/// the entries it meant to drop stay in Redis (or come back with it), and this instance would
/// serve what the write replaced. Each failure leaves a tombstone here: a stored response of
/// its URL or namespace from no later than the write is read as a miss, a fetch begun before it
/// stores nothing, and the purge or bump is retried when a Redis connection comes up (or after
/// a backoff, for failures that leave the connection up) until it succeeds, which also fixes the
/// other instances reading that Redis. Shared by every event loop, and across reloads that keep
/// the store, like the invalidation log.
final class CacheTombstones: Sendable {
    /// URLs and namespaces kept at most; past that they collapse into one tombstone for
    /// everything, retried as a purge of the whole cache (see `CacheTombstoneTable`).
    static let capacity = 4_096

    struct State {
        var table = CacheTombstoneTable(capacity: CacheTombstones.capacity)
        /// Which wait (timer or connection) may start the next retry round; 0 when none waits.
        var armed: UInt64 = 0
        var lastToken: UInt64 = 0
        var running = false
        /// A connection came up during a round: run another at once when it ends.
        var rerun = false
        /// A callback for the next connection is registered.
        var watching = false
        var backoff = RedisBackoff()
    }

    let state: NIOLockedValueBox<State>
    /// Whether any tombstone is kept: all a lookup or a store pays while none is.
    let active = Atomic<Bool>(false)
    let store: any CacheStore
    let invalidations: CacheInvalidationLog
    /// Where retries and their timers run.
    let eventLoop: any EventLoop
    /// Told when a Redis connection comes up; nil for a store without connections.
    let connects: RedisConnectWatch?
    /// `gatehouse_cache_invalidation_failures_total{op}`: invalidations that failed and were buried.
    private let failures: [String: Metrics.Counter]

    init(
        store: any CacheStore, invalidations: CacheInvalidationLog, eventLoop: any EventLoop, connects: RedisConnectWatch?,
        metrics: GatehouseMetrics
    ) {
        self.state = NIOLockedValueBox(State(table: CacheTombstoneTable(capacity: Self.capacity)))
        self.store = store
        self.invalidations = invalidations
        self.eventLoop = eventLoop
        self.connects = connects
        self.failures = Dictionary(uniqueKeysWithValues: GatehouseMetrics.invalidationFailureOps.map {
            ($0, metrics.counter(GatehouseMetrics.Name.cacheInvalidationFailures, ["op": $0]))
        })
    }

    /// True while any failed invalidation waits for its retry. One atomic load.
    var isActive: Bool {
        active.load(ordering: .acquiring)
    }

    /// How many tombstones wait (`gatehouse_cache_invalidations_pending`).
    var pending: Int {
        state.withLockedValue { $0.table.count }
    }

    /// The time a response for `request` must have been stored after to be served; nil when no
    /// tombstone hides it. Ask only when `isActive`.
    func bar(for request: CacheableRequest) -> CacheTime? {
        state.withLockedValue { $0.table.bar(for: request.target, namespace: request.rule?.namespace) }
    }

    /// Whether a fetch begun at `time` must not store: it may have read what a failed
    /// invalidation since was meant to drop (its URL is not matched: its key's namespace version
    /// may be the one that could not be read).
    func refusesFetch(begunAt time: CacheTime) -> Bool {
        guard isActive else { return false }
        return state.withLockedValue { state in
            state.table.latest.map { time <= $0 } ?? false
        }
    }

    /// An invalidation of `subject` at `time` failed: hide its entries and retry it.
    func bury(_ subject: CacheTombstone.Subject, at time: CacheTime) {
        failures[Self.op(subject)]?.increment()
        let arm = state.withLockedValue { state -> Bool in
            state.table.bury(subject, at: time)
            active.store(true, ordering: .releasing)
            return !state.running && state.armed == 0
        }
        if arm { armRetry() }
    }

    private static func op(_ subject: CacheTombstone.Subject) -> String {
        switch subject {
        case .url: "purge"
        case .namespace: "namespace"
        case .everything: "all"
        }
    }
}
