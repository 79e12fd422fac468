// RateLimiter: the rate-limit stage of the data path — which policies match, and what the store says.
import GatehouseCore
import NIOCore

/// Built once per config (with the store, which outlives reloads that leave it unchanged):
/// turns a request into its checks and asks the store, on the request's event loop.
final class RateLimiter: Sendable {
    let plan: RateLimitPlan
    let store: any RateLimitStore
    let storeKind: StoreKind
    let maxTrackedKeys: Int

    init(config: RateLimitsConfig, previous: RateLimiter?) {
        self.plan = RateLimitPlan(config)
        self.storeKind = config.store
        self.maxTrackedKeys = config.maxTrackedKeys
        if let previous, previous.storeKind == config.store, previous.maxTrackedKeys == config.maxTrackedKeys {
            // Keep the counters across a reload: a reload must not hand every client a fresh quota.
            self.store = previous.store
        } else {
            // The Redis store arrives with the Redis issue; until then every store counts in memory.
            self.store = MemoryRateLimitStore(maxTrackedKeys: config.maxTrackedKeys)
        }
    }

    /// The store's verdict for `request`, or nil when no policy applies to it.
    func evaluate(_ request: RateLimitRequest, on eventLoop: any EventLoop) -> EventLoopFuture<RateLimitOutcome>? {
        let checks = plan.checks(for: request)
        guard !checks.isEmpty else { return nil }
        return store.evaluate(checks, now: NIODeadline.now().uptimeNanoseconds, on: eventLoop)
    }
}
