// RateLimitShard: one lock's worth of the memory store — a bounded LRU of keys to sliding windows.

import Synchronization

/// A slice of the memory store's keys behind its own lock, so event loops rarely wait for each other.
final class RateLimitShard: Sendable {
    /// Keys whose windows have passed are dropped this many at a time on each visit: enough to keep
    /// up with one new key per request, cheap enough for the hot path.
    static let reclaimPerVisit = 2

    let table: Mutex<LRUMap<TrackedKey, TrackedWindow>>

    init(capacity: Int) {
        table = Mutex(LRUMap(capacity: capacity))
    }

    var count: Int {
        table.withLock { $0.count }
    }
}

extension LRUMap where Key == TrackedKey, Value == TrackedWindow {
    /// Whether `check` would admit at `now`, counting `pending` admissions of the same key that this
    /// request is about to record through earlier checks. Reads only: a refusal must change nothing.
    func probe(_ check: RateLimitCheck, pending: Int, now: UInt64) -> RateLimitProbe {
        let key = check.storeKey
        let position = position(of: key)
        let counted = position.flatMap { peek(key, at: $0) }?.counter.count(at: now, window: check.window) ?? 0
        return RateLimitProbe(admits: counted.addingReportingOverflow(pending).partialValue < check.limit, position: position)
    }

    /// Records `check` when the request was admitted (or only marks its key as seen when refused) and
    /// returns what the policy's headers report; `probe` is the check's own.
    mutating func commit(_ check: RateLimitCheck, probe: RateLimitProbe, admitted: Bool, now: UInt64) -> RateLimitResult {
        let key = check.storeKey
        let admits = probe.admits
        let result: RateLimitResult?
        if admitted {
            // The result is read inside the update: copying the counter out would share its buffer.
            result = update(key, at: probe.position, initial: TrackedWindow(window: check.window)) { tracked in
                tracked.window = check.window
                tracked.counter.record(at: now, limit: check.limit, window: check.window)
                return RateLimitShard.result(of: check, counter: tracked.counter, admits: admits, now: now)
            }
        } else {
            // A key that keeps being refused is still in use: keep it from eviction, which would
            // hand it a fresh quota.
            touch(key, at: probe.position)
            result = peek(key, at: probe.position).map { RateLimitShard.result(of: check, counter: $0.counter, admits: admits, now: now) }
        }
        removeOldest(upTo: RateLimitShard.reclaimPerVisit) { $0.isIdle(at: now) }
        return result ?? RateLimitShard.result(of: check, counter: SlidingWindow(), admits: admits, now: now)
    }
}

extension RateLimitShard {
    /// The header-facing numbers of one policy, from its counter after the request.
    static func result(of check: RateLimitCheck, counter: SlidingWindow, admits: Bool, now: UInt64) -> RateLimitResult {
        RateLimitResult(
            check: check,
            admitted: admits,
            counted: counter.count(at: now, window: check.window),
            untilAdmissible: counter.retryAfter(at: now, limit: check.limit, window: check.window),
            nextRelease: counter.nextRelease(at: now, window: check.window) ?? 0
        )
    }
}
