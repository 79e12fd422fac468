// RequestMetricsRecorder: one event loop's cache of the per-request counters, so recording takes no lock.
import Metrics
import NIOCore

/// Records what happened to each request on one event loop; confined to that loop, so its
/// label-set cache needs no lock (the shared `GatehouseMetrics.counter` is consulted only on a
/// label set's first use on this loop).
final class RequestMetricsRecorder {
    private let metrics: GatehouseMetrics
    private var requestCounters: [RequestLabels: Metrics.Counter] = [:]
    private var upstreamCounters: [Int: Metrics.Counter] = [:]
    private var upstreamErrorCounters: [String: Metrics.Counter] = [:]
    private var rateLimitCounters: [String: Metrics.Counter] = [:]
    private var cacheLookupCounters: [String: Metrics.Counter] = [:]

    private struct RequestLabels: Hashable {
        let method: String
        let code: Int
        let cache: String
    }

    init(metrics: GatehouseMetrics) {
        self.metrics = metrics
    }

    /// A whole request, whatever ended it.
    func requestCompleted(method: String, code: Int, cache: String, duration: TimeAmount) {
        let labels = RequestLabels(method: Self.methodLabel(method), code: code, cache: cache)
        let counter: Metrics.Counter
        if let cached = requestCounters[labels] {
            counter = cached
        } else {
            counter = metrics.counter(GatehouseMetrics.Name.requests, [
                "method": labels.method, "code": String(code), "cache": cache,
            ])
            requestCounters[labels] = counter
        }
        counter.increment()
        metrics.requestDuration.recordNanoseconds(duration.nanoseconds)
    }

    func upstreamResponded(code: Int, duration: TimeAmount) {
        let counter: Metrics.Counter
        if let cached = upstreamCounters[code] {
            counter = cached
        } else {
            counter = metrics.counter(GatehouseMetrics.Name.upstreamRequests, ["code": String(code)])
            upstreamCounters[code] = counter
        }
        counter.increment()
        metrics.upstreamDuration.recordNanoseconds(duration.nanoseconds)
    }

    func upstreamFailed(kind: String) {
        let counter: Metrics.Counter
        if let cached = upstreamErrorCounters[kind] {
            counter = cached
        } else {
            counter = metrics.counter(GatehouseMetrics.Name.upstreamErrors, ["kind": kind])
            upstreamErrorCounters[kind] = counter
        }
        counter.increment()
    }

    func rateLimitDecision(policy: String, limited: Bool) {
        let decision = limited ? "limited" : "allowed"
        let key = decision + "|" + policy
        let counter: Metrics.Counter
        if let cached = rateLimitCounters[key] {
            counter = cached
        } else {
            counter = metrics.counter(GatehouseMetrics.Name.rateLimitDecisions, ["policy": policy, "decision": decision])
            rateLimitCounters[key] = counter
        }
        counter.increment()
    }

    func cacheLookup(result: String) {
        let counter: Metrics.Counter
        if let cached = cacheLookupCounters[result] {
            counter = cached
        } else {
            counter = metrics.counter(GatehouseMetrics.Name.cacheLookups, ["result": result])
            cacheLookupCounters[result] = counter
        }
        counter.increment()
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
