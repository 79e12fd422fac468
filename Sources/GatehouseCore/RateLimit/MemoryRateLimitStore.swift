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
    private let shards: [RateLimitShard]

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
        guard !checks.isEmpty else { return .unlimited }
        let shardOfCheck = checks.map { shardIndex(of: $0.key) }
        var lockOrder = shardOfCheck.sorted()
        lockOrder.removeDuplicatesFromSorted()
        var probes = [RateLimitShard.Probe](repeating: RateLimitShard.Probe(admits: false), count: checks.count)
        var results = [RateLimitResult?](repeating: nil, count: checks.count)
        let admitted = evaluateLocked(
            level: 0,
            lockOrder: lockOrder,
            shardOfCheck: shardOfCheck,
            checks: checks,
            now: now,
            probes: &probes,
            results: &results
        )
        return RateLimitOutcome(admitted: admitted, results: results.compactMap { $0 })
    }

    /// Locks `lockOrder[level]`, probes that shard's checks, recurses into the next shard, then —
    /// with every lock still held — records (or not) that shard's checks on the way back out.
    private func evaluateLocked(
        level: Int,
        lockOrder: [Int],
        shardOfCheck: [Int],
        checks: [RateLimitCheck],
        now: UInt64,
        probes: inout [RateLimitShard.Probe],
        results: inout [RateLimitResult?]
    ) -> Bool {
        guard level < lockOrder.count else {
            return probes.allSatisfy(\.admits)
        }
        let shard = lockOrder[level]
        let mine = checks.indices.filter { shardOfCheck[$0] == shard }
        return shards[shard].table.withLock { table in
            for (position, index) in mine.enumerated() {
                // Checks of one key within a request (never from a plan, but possible) see each
                // other's admissions, so a duplicate cannot slip past the limit.
                var pending = 0
                for earlier in mine[..<position] where checks[earlier].key == checks[index].key && probes[earlier].admits {
                    pending += 1
                }
                probes[index] = table.probe(checks[index], pending: pending, now: now)
            }
            let admitted = evaluateLocked(
                level: level + 1,
                lockOrder: lockOrder,
                shardOfCheck: shardOfCheck,
                checks: checks,
                now: now,
                probes: &probes,
                results: &results
            )
            for index in mine {
                results[index] = table.commit(checks[index], probe: probes[index], admitted: admitted, now: now)
            }
            return admitted
        }
    }

    private func shardIndex(of key: String) -> Int {
        Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))
    }
}

private extension Array where Element: Equatable {
    /// Drops repeated neighbours: on a sorted array, leaves each value once.
    mutating func removeDuplicatesFromSorted() {
        var kept = 0
        for index in indices where kept == 0 || self[index] != self[kept - 1] {
            self[kept] = self[index]
            kept += 1
        }
        removeLast(count - kept)
    }
}
