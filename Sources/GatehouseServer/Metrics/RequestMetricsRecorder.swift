// RequestMetricsRecorder: one event loop's cache of the per-request counters, so recording takes no lock.
import Metrics
import NIOCore

/// Records what happened to each request on one event loop; confined to that loop, so its
/// label-set cache needs no lock (the shared `GatehouseMetrics.counter` is consulted only on a
/// label set's first use on this loop).
final class RequestMetricsRecorder {
    private let metrics: GatehouseMetrics
    /// Counters by metric name and label values, as made by `GatehouseMetrics.counter`.
    private var counters: [CounterKey: Metrics.Counter] = [:]

    private struct CounterKey: Hashable {
        let name: String
        let labels: [String: String]
    }

    init(metrics: GatehouseMetrics) {
        self.metrics = metrics
    }

    private func counter(_ name: String, _ labels: [String: String]) -> Metrics.Counter {
        let key = CounterKey(name: name, labels: labels)
        if let cached = counters[key] {
            return cached
        }
        let made = metrics.counter(name, labels)
        counters[key] = made
        return made
    }

    /// A whole request, whatever ended it.
    func requestCompleted(method: String, code: Int, cache: String, duration: TimeAmount) {
        counter(GatehouseMetrics.Name.requests, [
            "method": Self.methodLabel(method), "code": String(code), "cache": cache,
        ]).increment()
        metrics.requestDuration.recordNanoseconds(duration.nanoseconds)
    }

    func upstreamResponded(code: Int, duration: TimeAmount) {
        counter(GatehouseMetrics.Name.upstreamRequests, ["code": String(code)]).increment()
        metrics.upstreamDuration.recordNanoseconds(duration.nanoseconds)
    }

    func upstreamFailed(kind: String) {
        counter(GatehouseMetrics.Name.upstreamErrors, ["kind": kind]).increment()
    }

    func rateLimitDecision(policy: String, limited: Bool) {
        counter(GatehouseMetrics.Name.rateLimitDecisions, [
            "policy": policy, "decision": limited ? "limited" : "allowed",
        ]).increment()
    }

    func cacheLookup(result: String) {
        counter(GatehouseMetrics.Name.cacheLookups, ["result": result]).increment()
    }

    /// Methods outside the standard set share one label, so a client cannot mint label values.
    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE":
            method
        default:
            "OTHER"
        }
    }
}
