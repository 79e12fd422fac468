// RateLimiter: the rate-limit stage of the data path — which policies match, and what the store says.
import GatehouseCore
import GatehouseRedis
import NIOCore

/// Built once per config (with the store, which outlives reloads that leave it unchanged):
/// turns a request into its checks and asks the store, on the request's event loop.
final class RateLimiter: Sendable {
    let plan: RateLimitPlan
    let store: any RateLimitStore
    /// How long a request waits for a remote store before `on_store_error` applies; nil for memory.
    private let remoteDeadline: TimeAmount?
    /// The store when it is this process's memory, which decides at once.
    private let memoryStore: MemoryRateLimitStore?
    private let settings: Settings

    /// What decides whether a reload can keep the store (and its counters).
    private struct Settings: Equatable {
        let kind: StoreKind
        let maxTrackedKeys: Int
        /// nil for a memory store: `redis:` and `on_store_error` do not touch its counters, so a
        /// change to them must not hand every client a fresh quota.
        let remote: Remote?
    }

    /// What only a Redis store is made from.
    private struct Remote: Equatable {
        let onStoreError: StoreErrorMode
        let keyPrefix: String
        let redis: ObjectIdentifier?
    }

    init(config: GatehouseConfig, previous: RateLimiter?, redis: RedisLink?) {
        let limits = config.rateLimits
        self.plan = RateLimitPlan(limits)
        let settings = Settings(
            kind: limits.store, maxTrackedKeys: limits.maxTrackedKeys,
            remote: limits.store == .redis
                ? Remote(onStoreError: limits.onStoreError, keyPrefix: config.redis.keyPrefix, redis: redis.map { ObjectIdentifier($0) })
                : nil
        )
        self.settings = settings
        self.remoteDeadline = limits.store == .redis ? config.redis.storeDeadline : nil
        if let previous, previous.settings == settings {
            // Keep the counters across a reload: a reload must not hand every client a fresh quota.
            self.store = previous.store
            let local = previous.store as? MemoryRateLimitStore ?? (previous.store as? FailoverRateLimitStore)?.fallback
            local?.keepKeys(forLongerWindows: plan.windowsLengthened(since: previous.plan))
        } else if limits.store == .redis, let redis {
            // One EVALSHA per request, atomic across instances; when Redis fails, `allow` counts
            // in a local memory store meanwhile and `deny` answers 503.
            self.store = FailoverRateLimitStore(
                primary: RedisRateLimitStore(client: redis.client, keyPrefix: config.redis.keyPrefix),
                fallback: MemoryRateLimitStore(maxTrackedKeys: limits.maxTrackedKeys),
                failOpen: limits.onStoreError == .allow
            )
        } else {
            self.store = MemoryRateLimitStore(maxTrackedKeys: limits.maxTrackedKeys)
        }
        self.memoryStore = store as? MemoryRateLimitStore
    }

    /// Whether any policy is configured (when none is, requests skip the stage entirely).
    var isActive: Bool { !plan.isEmpty }

    /// The store's verdict for `request` (`.notApplicable` when no policy applies to it), made with
    /// the arrays and keys of the connection's `workspace`.
    func evaluate(
        _ request: RateLimitRequest, on eventLoop: any EventLoop, deadlines: StoreDeadlines, workspace: inout RateLimitWorkspace
    ) -> RateLimitVerdict {
        plan.checks(for: request, into: &workspace.checks, clientKeys: &workspace.clientKeys)
        guard !workspace.checks.isEmpty else { return .notApplicable }
        let now = NIODeadline.now().uptimeNanoseconds
        if let memoryStore {
            let admitted = memoryStore.evaluate(workspace.checks, now: now, into: &workspace.results)
            return .decided(RateLimitOutcome(admitted: admitted, results: workspace.results))
        }
        let checks = workspace.checks
        let verdict = store.evaluate(checks, now: now, on: eventLoop)
        guard let remoteDeadline else { return .pending(verdict) }
        let store = self.store as? FailoverRateLimitStore
        return .pending(deadlines.bound(verdict, by: remoteDeadline).flatMapError { error in
            // Past the deadline the failover rule applies, as for any other store failure.
            guard let store, store.failOpen else { return eventLoop.makeFailedFuture(error) }
            return eventLoop.makeSucceededFuture(store.fallback.evaluate(checks, now: now))
        })
    }
}
