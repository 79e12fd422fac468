// GatehouseMetrics: every metric Gatehouse exports, declared in one place (DESIGN.md §9 names).
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// The process's metrics, written through swift-metrics into one Prometheus registry that
/// `/metrics` renders. Names and labels are the contract of DESIGN.md §9: extend, never rename.
///
/// Labelled counters are made once per label set and cached, so the hot path only increments
/// an atomic (the registry's own lookup takes a lock).
public final class GatehouseMetrics: Sendable {
    /// Metric names, all of them.
    public enum Name {
        public static let requests = "gatehouse_requests_total"
        public static let requestDuration = "gatehouse_request_duration_seconds"
        public static let upstreamRequests = "gatehouse_upstream_requests_total"
        public static let upstreamErrors = "gatehouse_upstream_errors_total"
        public static let upstreamDuration = "gatehouse_upstream_duration_seconds"
        /// Lookups of an `upstream.servers` host name that failed, by `server` (an extension of
        /// DESIGN.md's list); the server keeps its last addresses meanwhile.
        public static let upstreamResolveFailures = "gatehouse_upstream_resolve_failures_total"
        public static let cacheLookups = "gatehouse_cache_lookups_total"
        public static let cacheStores = "gatehouse_cache_stores_total"
        public static let cacheEvictions = "gatehouse_cache_evictions_total"
        public static let cacheInvalidations = "gatehouse_cache_invalidations_total"
        public static let cacheBytes = "gatehouse_cache_bytes"
        public static let cacheEntries = "gatehouse_cache_entries"
        /// Stored bodies held in memory files and sent with sendfile (an extension of DESIGN.md's list).
        public static let cacheBodyFiles = "gatehouse_cache_body_files"
        /// Invalidations (purges, namespace bumps, purges of everything) the store failed to
        /// carry out, by `op` (an extension of DESIGN.md's list); each is retried until it succeeds.
        public static let cacheInvalidationFailures = "gatehouse_cache_invalidation_failures_total"
        /// Failed invalidations still waiting for their retry (an extension of DESIGN.md's list).
        public static let cacheInvalidationsPending = "gatehouse_cache_invalidations_pending"
        public static let rateLimitDecisions = "gatehouse_ratelimit_decisions_total"
        public static let connectionsActive = "gatehouse_connections_active"
        public static let requestsInFlight = "gatehouse_requests_in_flight"
        public static let redisUp = "gatehouse_redis_up"
        public static let redisErrors = "gatehouse_redis_errors_total"
        public static let configReloads = "gatehouse_config_reloads_total"
        public static let draining = "gatehouse_draining"
        public static let accessLogDropped = "gatehouse_access_log_dropped_total"
        /// Times an event loop busy for most of a millisecond gave its core to whatever waited
        /// for it (`LoopTurn`; an extension of DESIGN.md's list): a saturation signal, as Envoy's
        /// dispatcher loop duration is.
        public static let loopYields = "gatehouse_event_loop_yields_total"
    }

    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let counters = NIOLockedValueBox<[String: Metrics.Counter]>([:])

    /// Every loop's request and upstream latencies merged so far (`merge(requests:upstream:)`);
    /// rendered after the registry's metrics.
    private let latencies: NIOLockedValueBox<(requests: LatencyHistogram, upstream: LatencyHistogram)>
    /// The buckets of both latency histograms.
    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]
    public let connectionsActive: Metrics.Meter
    public let requestsInFlight: Metrics.Meter
    public let draining: Metrics.Meter
    public let redisUp: Metrics.Meter
    public let cacheBytes: Metrics.Meter
    public let cacheEntries: Metrics.Meter
    public let cacheBodyFiles: Metrics.Meter
    public let cacheInvalidationsPending: Metrics.Meter
    /// The `op` labels of `gatehouse_cache_invalidation_failures_total`.
    static let invalidationFailureOps = ["purge", "namespace", "all"]

    public init() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        self.registry = registry
        self.factory = factory
        self.latencies = NIOLockedValueBox((
            LatencyHistogram(bounds: Self.latencyBuckets), LatencyHistogram(bounds: Self.latencyBuckets)
        ))
        self.connectionsActive = Metrics.Meter(label: Name.connectionsActive, dimensions: [], factory: factory)
        self.requestsInFlight = Metrics.Meter(label: Name.requestsInFlight, dimensions: [], factory: factory)
        self.draining = Metrics.Meter(label: Name.draining, dimensions: [], factory: factory)
        self.redisUp = Metrics.Meter(label: Name.redisUp, dimensions: [], factory: factory)
        self.cacheBytes = Metrics.Meter(label: Name.cacheBytes, dimensions: [], factory: factory)
        self.cacheEntries = Metrics.Meter(label: Name.cacheEntries, dimensions: [], factory: factory)
        self.cacheBodyFiles = Metrics.Meter(label: Name.cacheBodyFiles, dimensions: [], factory: factory)
        self.cacheInvalidationsPending = Metrics.Meter(label: Name.cacheInvalidationsPending, dimensions: [], factory: factory)
        cacheInvalidationsPending.set(0)
        draining.set(0)
        connectionsActive.set(0)
        requestsInFlight.set(0)
        // Zero-valued series up front, so dashboards and alerts see them before the first event.
        for result in ["success", "error"] {
            counter(Name.configReloads, ["result": result]).increment(by: 0)
        }
        counter(Name.redisErrors, [:]).increment(by: 0)
        counter(Name.cacheStores, [:]).increment(by: 0)
        counter(Name.cacheEvictions, [:]).increment(by: 0)
        counter(Name.accessLogDropped, [:]).increment(by: 0)
        counter(Name.loopYields, [:]).increment(by: 0)
        for op in Self.invalidationFailureOps {
            counter(Name.cacheInvalidationFailures, ["op": op]).increment(by: 0)
        }
    }

    /// The counter `name{labels}`, made on first use and cached.
    public func counter(_ name: String, _ labels: [String: String]) -> Metrics.Counter {
        let key = labels.isEmpty ? name : name + "|" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return counters.withLockedValue { counters in
            if let existing = counters[key] {
                return existing
            }
            let dimensions = labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let made = Metrics.Counter(label: name, dimensions: dimensions, factory: factory)
            counters[key] = made
            return made
        }
    }

    /// Adds one loop's latencies, recorded since its last merge.
    func merge(requests: LatencyHistogram, upstream: LatencyHistogram) {
        latencies.withLockedValue { latencies in
            latencies.requests.merge(requests)
            latencies.upstream.merge(upstream)
        }
    }

    /// The Prometheus text exposition of everything merged so far (a scrape first has every
    /// loop publish what it recorded: `ServerState.publishRecordedMetrics`).
    public func render() -> String {
        let (requests, upstream) = latencies.withLockedValue { $0 }
        return registry.emitToString() + requests.render(name: Name.requestDuration)
            + upstream.render(name: Name.upstreamDuration)
    }
}
