// CacheMetricsSampler: copies the store's size and eviction counts into the metrics before each scrape.
import GatehouseCore
import NIOConcurrencyHelpers

/// The store keeps its own counts (it is shared by every event loop); a scrape reads them into
/// `gatehouse_cache_bytes`, `gatehouse_cache_entries`, `gatehouse_cache_body_files` and
/// `gatehouse_cache_evictions_total`, and the failed invalidations waiting for their retry into
/// `gatehouse_cache_invalidations_pending`.
final class CacheMetricsSampler: Sendable {
    private let metrics: GatehouseMetrics
    private let evictions = NIOLockedValueBox(CacheEvictionTally())

    init(metrics: GatehouseMetrics) {
        self.metrics = metrics
    }

    func sample(_ cache: ResponseCache?) {
        // Whatever the store: a Redis store's failed invalidations are the ones that wait.
        metrics.cacheInvalidationsPending.set(Int64(cache?.tombstones.pending ?? 0))
        guard let memory = cache?.store as? MemoryCacheStore else {
            // No memory store (the cache is off, or in Redis): nothing is held here. Left as they
            // were, the gauges would show a reload's old store for ever.
            metrics.cacheBytes.set(0)
            metrics.cacheEntries.set(0)
            metrics.cacheBodyFiles.set(0)
            return
        }
        // Read and set under the lock: two scrapes at once take turns, so the later reading is
        // the one left in the gauges and the counter.
        let added = evictions.withLockedValue { tally -> UInt64 in
            let stats = memory.stats
            metrics.cacheBytes.set(Int64(stats.bytes))
            metrics.cacheEntries.set(Int64(stats.entries))
            metrics.cacheBodyFiles.set(Int64(memory.bodyFiler.openFiles))
            return tally.increment(evictions: stats.evictions, of: memory)
        }
        if added > 0 {
            metrics.counter(GatehouseMetrics.Name.cacheEvictions, [:]).increment(by: Int64(clamping: added))
        }
    }
}
