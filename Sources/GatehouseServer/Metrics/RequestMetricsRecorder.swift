// RequestMetricsRecorder: one event loop's cache of the per-request counters, so recording takes no lock.
import GatehouseCore
import Metrics
import NIOCore

/// Records what happened to each request on one event loop; confined to that loop, so its
/// label-set cache needs no lock (the shared `GatehouseMetrics.counter` is consulted only on a
/// label set's first use on this loop). Keys are small structs, so a recording allocates nothing.
final class RequestMetricsRecorder {
    private let metrics: GatehouseMetrics
    /// By `requestKey`: a hash of one Int, not of two Strings, on every request.
    private var requests: [Int: Metrics.Counter] = [:]
    private var upstreamByCode: [Int: Metrics.Counter] = [:]
    private var lookups: [Metrics.Counter?] = Array(repeating: nil, count: cacheLabels.count + 1)
    private var byLabel: [LabelKey: Metrics.Counter] = [:]
    /// Rate-limit decision counters by policy index (see `RateLimitResult.policyIndex`), so a
    /// decision is counted without hashing its policy name.
    private var decisionsByPolicy: [DecisionCounters?] = []

    /// The method labels; anything else is `OTHER`, so a client cannot mint label values.
    private static let methodLabels = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "OTHER"]
    /// The `cache` label values `CacheStatus.lookupResult` gives (all there are).
    private static let cacheLabels = ["hit", "miss", "stale", "bypass"]

    /// One metric with one or two label values (the label names are fixed per metric).
    private struct LabelKey: Hashable {
        let name: String
        let first: String
        let second: String
    }

    /// One policy's two decision counters, with the name they count: a reload may give the index
    /// to another policy, and the name tells (its storage is shared, so comparing is cheap).
    private struct DecisionCounters {
        let policy: String
        let allowed: Metrics.Counter
        let limited: Metrics.Counter
    }

    init(metrics: GatehouseMetrics) {
        self.metrics = metrics
    }

    private func counter(_ key: LabelKey, labels: @autoclosure () -> [String: String]) -> Metrics.Counter {
        if let cached = byLabel[key] {
            return cached
        }
        let made = metrics.counter(key.name, labels())
        byLabel[key] = made
        return made
    }

    /// A whole request, whatever ended it.
    func requestCompleted(method: String, code: Int, cache: String, duration: TimeAmount) {
        let methodIndex = Self.methodIndex(method)
        let cacheIndex = Self.cacheIndex(cache)
        // Distinct for every label set: a status code is never negative, the indices are below 16.
        let key = code << 8 | methodIndex << 4 | cacheIndex
        let counter: Metrics.Counter
        if let cached = requests[key] {
            counter = cached
        } else {
            counter = metrics.counter(GatehouseMetrics.Name.requests, [
                "method": Self.methodLabels[methodIndex], "code": String(code), "cache": cache,
            ])
            requests[key] = counter
        }
        counter.increment()
        metrics.requestDuration.recordNanoseconds(duration.nanoseconds)
    }

    func upstreamResponded(code: Int, duration: TimeAmount) {
        let counter: Metrics.Counter
        if let cached = upstreamByCode[code] {
            counter = cached
        } else {
            counter = metrics.counter(GatehouseMetrics.Name.upstreamRequests, ["code": String(code)])
            upstreamByCode[code] = counter
        }
        counter.increment()
        metrics.upstreamDuration.recordNanoseconds(duration.nanoseconds)
    }

    func upstreamFailed(kind: String) {
        counter(LabelKey(name: GatehouseMetrics.Name.upstreamErrors, first: kind, second: ""), labels: ["kind": kind]).increment()
    }

    /// Every policy's decision on one request.
    func rateLimitDecisions(_ outcome: RateLimitOutcome) {
        for result in outcome.results {
            let counters = decisionCounters(for: result)
            (result.admitted ? counters.allowed : counters.limited).increment()
        }
    }

    private func decisionCounters(for result: RateLimitResult) -> DecisionCounters {
        let index = result.policyIndex ?? -1
        if decisionsByPolicy.indices.contains(index), let cached = decisionsByPolicy[index], cached.policy == result.policyName {
            return cached
        }
        let policy = result.policyName
        let made = DecisionCounters(
            policy: policy,
            allowed: decisionCounter(policy: policy, decision: "allowed"),
            limited: decisionCounter(policy: policy, decision: "limited")
        )
        if index >= 0 {
            if index >= decisionsByPolicy.count {
                decisionsByPolicy += repeatElement(nil, count: index + 1 - decisionsByPolicy.count)
            }
            decisionsByPolicy[index] = made
        }
        return made
    }

    private func decisionCounter(policy: String, decision: String) -> Metrics.Counter {
        counter(
            LabelKey(name: GatehouseMetrics.Name.rateLimitDecisions, first: policy, second: decision),
            labels: ["policy": policy, "decision": decision]
        )
    }

    func cacheLookup(result: String) {
        let index = Self.cacheIndex(result)
        guard index < Self.cacheLabels.count else {
            counter(LabelKey(name: GatehouseMetrics.Name.cacheLookups, first: result, second: ""), labels: ["result": result]).increment()
            return
        }
        if let cached = lookups[index] {
            cached.increment()
            return
        }
        let made = metrics.counter(GatehouseMetrics.Name.cacheLookups, ["result": result])
        lookups[index] = made
        made.increment()
    }

    /// Methods outside the standard set share the last label, `OTHER`.
    private static func methodIndex(_ method: String) -> Int {
        methodLabels.firstIndex(of: method).map { min($0, methodLabels.count - 1) } ?? methodLabels.count - 1
    }

    /// The position of `label` in `cacheLabels`, or `cacheLabels.count` for any other value.
    private static func cacheIndex(_ label: String) -> Int {
        cacheLabels.firstIndex(of: label) ?? cacheLabels.count
    }
}
