// CacheMetricsSampler: copies the store's size and eviction counts into the metrics before each scrape.
import GatehouseCore
import NIOConcurrencyHelpers

/// The store keeps its own counts (it is shared by every event loop); a scrape reads them into
/// `gatehouse_cache_bytes`, `gatehouse_cache_entries`, `gatehouse_cache_body_files` and
/// `gatehouse_cache_evictions_total`.
final class CacheMetricsSampler: Sendable {
    private let metrics: GatehouseMetrics
    private let lastEvictions = NIOLockedValueBox<UInt64>(0)

    init(metrics: GatehouseMetrics) {
        self.metrics = metrics
    }

    func sample(_ cache: ResponseCache?) {
        guard let memory = cache?.store as? MemoryCacheStore else { return }
        let stats = memory.stats
        metrics.cacheBytes.set(Int64(stats.bytes))
        metrics.cacheEntries.set(Int64(stats.entries))
        metrics.cacheBodyFiles.set(Int64(memory.bodyFiler.openFiles))
        let delta = lastEvictions.withLockedValue { last -> UInt64 in
            let delta = stats.evictions >= last ? stats.evictions - last : stats.evictions
            last = stats.evictions
            return delta
        }
        if delta > 0 {
            metrics.counter(GatehouseMetrics.Name.cacheEvictions, [:]).increment(by: Int64(clamping: delta))
        }
    }
}
