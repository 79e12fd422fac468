// RateLimitStoreModel: the store contract in its plainest form, to hold the sharded memory store to.

@testable import GatehouseCore

/// Unbounded, unsharded, unlocked: every check probed in order (seeing earlier admissions of its
/// own key in the same request), then — only if all admit — every check recorded in order, each
/// result read right after its own record.
struct RateLimitStoreModel {
    private var windows: [String: SlidingWindow] = [:]

    mutating func evaluate(_ checks: [RateLimitCheck], now: UInt64) -> RateLimitOutcome {
        var admits: [Bool] = []
        for (index, check) in checks.enumerated() {
            let pending = (0..<index).filter { admits[$0] && checks[$0].key == check.key }.count
            let counted = windows[check.key, default: SlidingWindow()].count(at: now, window: check.window)
            admits.append(counted + pending < check.limit)
        }
        let admitted = !admits.contains(false)
        var results: [RateLimitResult] = []
        for (index, check) in checks.enumerated() {
            if admitted {
                windows[check.key, default: SlidingWindow()].record(at: now, limit: check.limit, window: check.window)
            }
            let counter = windows[check.key, default: SlidingWindow()]
            results.append(RateLimitResult(
                check: check,
                admitted: admits[index],
                counted: counter.count(at: now, window: check.window),
                untilAdmissible: counter.retryAfter(at: now, limit: check.limit, window: check.window),
                nextRelease: counter.nextRelease(at: now, window: check.window) ?? 0
            ))
        }
        return RateLimitOutcome(admitted: admitted, results: results)
    }
}
