// MemoryRateLimitStore: the in-process rate-limit store — sharded locks, bounded LRU of keys.

/// Counters in this process's memory, shared by every event loop.
///
/// Keys are spread over up to 16 shards by hash, each behind its own `Mutex`; a request locks the
/// shards of its keys in ascending order (so two requests never wait on each other in a cycle) and
/// holds them while it checks every policy and then records every policy, which makes the
/// evaluation atomic. At most `maxTrackedKeys` keys are kept in all: past that, each shard forgets
/// its least recently seen keys, so a client spraying addresses cannot grow memory. Keys whose window
/// has passed are dropped lazily as requests come by.
public final class MemoryRateLimitStore: RateLimitStore {
    /// The most keys tracked at once (at least 1).
    public let maxTrackedKeys: Int
    let shards: [RateLimitShard]

    /// - Parameters:
    ///   - maxTrackedKeys: `rate_limits.max_tracked_keys`; values below 1 are taken as 1.
    ///   - shardCount: locks to spread keys over; never more than `maxTrackedKeys`, so every shard
    ///     can hold at least one key and the total never exceeds the bound.
    public init(maxTrackedKeys: Int, shardCount: Int = 16) {
        let bound = max(maxTrackedKeys, 1)
        let count = min(max(shardCount, 1), bound)
        self.maxTrackedKeys = bound
        // Split the bound exactly: the first `bound % count` shards take one key more.
        shards = (0..<count).map { index in
            RateLimitShard(capacity: bound / count + (index < bound % count ? 1 : 0))
        }
    }

    /// How many keys are tracked now (for tests and the admin view; locks each shard in turn).
    public var trackedKeyCount: Int {
        shards.reduce(0) { $0 + $1.count }
    }

    public func evaluate(_ checks: [RateLimitCheck], now: UInt64) -> RateLimitOutcome {
        var results: [RateLimitResult] = []
        let admitted = evaluate(checks, now: now, into: &results)
        return RateLimitOutcome(admitted: admitted, results: results)
    }

    /// The same verdict, with the results (one per check, in order) written over what `results`
    /// held: a caller that hands the same array back every time (a connection does) reuses its
    /// buffer once the previous outcome is gone, so a request allocates nothing here.
    public func evaluate(_ checks: [RateLimitCheck], now: UInt64, into results: inout [RateLimitResult]) -> Bool {
        results.refillEnd(at: checks.count)
        results.reserveCapacity(checks.count)
        guard !checks.isEmpty else { return true }
        // Scratch space on the stack: this runs for every rate-limited request.
        return withUnsafeTemporaryAllocation(of: RateLimitProbe.self, capacity: checks.count) { probes in
            withUnsafeTemporaryAllocation(of: RateLimitResult.self, capacity: checks.count) { made in
                probes.initialize(repeating: RateLimitProbe(admits: false, position: nil))
                let pass = Pass(checks: checks, probes: probes, results: made, now: now)
                let admitted = evaluateLocked(after: -1, pass)
                // Every check lies in exactly one of the visited shards, which wrote its result.
                for index in made.indices {
                    results.refill(made.moveElement(from: index), at: index)
                }
                return admitted
            }
        }
    }

    /// One request's evaluation: its checks (each with its key and the key's hash), and where
    /// probes and results go.
    private struct Pass {
        let checks: [RateLimitCheck]
        /// Each check's own probe, filled in as its shard is locked.
        let probes: UnsafeMutableBufferPointer<RateLimitProbe>
        /// Uninitialised until the check's shard commits it.
        let results: UnsafeMutableBufferPointer<RateLimitResult>
        let now: UInt64
    }

    /// Locks the lowest shard above `previous` that holds a check, probes its checks, recurses into
    /// the next, then — with every lock still held — records (or not) its checks on the way back out.
    /// When every check is in one shard (always so with a single check) that is one lock, one pass.
    private func evaluateLocked(after previous: Int, _ pass: Pass) -> Bool {
        let checks = pass.checks
        var shard = Int.max
        for index in checks.indices {
            let candidate = shardIndex(of: checks[index].storeKey)
            if candidate > previous, candidate < shard {
                shard = candidate
            }
        }
        guard shard != Int.max else {
            return pass.probes.allSatisfy(\.admits)
        }
        return shards[shard].table.withLock { table in
            for index in checks.indices where shardIndex(of: checks[index].storeKey) == shard {
                // Checks of one key within a request (never from a plan, but possible) see each
                // other's admissions, so a duplicate cannot slip past the limit. One key is one shard.
                var pending = 0
                for earlier in 0..<index where pass.probes[earlier].admits && checks[earlier].storeKey == checks[index].storeKey {
                    pending += 1
                }
                pass.probes[index] = table.probe(checks[index], pending: pending, now: pass.now)
            }
            let admitted = evaluateLocked(after: shard, pass)
            for index in checks.indices where shardIndex(of: checks[index].storeKey) == shard {
                let result = table.commit(checks[index], probe: pass.probes[index], admitted: admitted, now: pass.now)
                pass.results.initializeElement(at: index, to: result)
            }
            return admitted
        }
    }

    private func shardIndex(of key: TrackedKey) -> Int {
        key.shard(among: shards.count)
    }
}
