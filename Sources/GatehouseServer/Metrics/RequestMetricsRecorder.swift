// RequestMetricsRecorder: one event loop's tallies of the per-request metrics, published on a scrape.
import GatehouseCore
import Metrics
import NIOCore

/// Records what happened to each request on one event loop, confined to that loop: counts and
/// latencies are plain numbers here, added to the shared registry only when a scrape asks
/// (`publish()`). Incrementing the registry's counters and histograms per request meant
/// atomics and locks both loops fought over. The registry's counters are looked up once per
/// label set on this loop. Keys are small structs, so a recording allocates nothing.
final class RequestMetricsRecorder {
    private let metrics: GatehouseMetrics
    /// By `requestKey`: a hash of one Int, not of two Strings, on every request.
    private var requests: [Int: Tally] = [:]
    private var upstreamByCode: [Int: Tally] = [:]
    private var lookups: [Tally?] = Array(repeating: nil, count: cacheLabels.count + 1)
    private var byLabel: [LabelKey: Metrics.Counter] = [:]
    /// The policy each pair of decision tallies counts, by policy index (see
    /// `RateLimitResult.policyIndex`), so a decision is counted without hashing its policy name: a
    /// reload may give an index to another policy, and the name tells (its storage is shared with
    /// the plan's, so comparing is cheap). Nil until a decision of that index is counted.
    private var decisionPolicies: [String?] = []
    /// Two per policy index: `allowed` at `2 × index`, `limited` at `2 × index + 1`. Flat arrays of
    /// plain values: reading a field of a struct in an array of optionals copied the whole struct.
    private var decisionTallies: [Tally?] = []
    private var requestLatencies = LatencyHistogram(bounds: GatehouseMetrics.latencyBuckets)
    private var upstreamLatencies = LatencyHistogram(bounds: GatehouseMetrics.latencyBuckets)
    /// Requests started minus requests ended since the last publish.
    private var inFlightChange = 0
    /// This loop's `LoopTurn` yields since the last publish.
    private var loopYields: Tally

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

    /// A registry counter and what this loop counted for it since the last publish.
    private struct Tally {
        let counter: Metrics.Counter
        var pending: Int64 = 0

        mutating func publish() {
            guard pending > 0 else { return }
            counter.increment(by: pending)
            pending = 0
        }
    }

    init(metrics: GatehouseMetrics) {
        self.metrics = metrics
        loopYields = Tally(counter: metrics.counter(GatehouseMetrics.Name.loopYields, [:]))
    }

    private func counter(_ key: LabelKey, labels: @autoclosure () -> [String: String]) -> Metrics.Counter {
        if let cached = byLabel[key] {
            return cached
        }
        let made = metrics.counter(key.name, labels())
        byLabel[key] = made
        return made
    }

    /// A request head was accepted (`gatehouse_requests_in_flight`).
    func requestStarted() {
        inFlightChange += 1
    }

    /// A whole request, whatever ended it.
    func requestCompleted(method: String, code: Int, cache: String, duration: TimeAmount) {
        let methodIndex = Self.methodIndex(method)
        let cacheIndex = Self.cacheIndex(cache)
        // Distinct for every label set: a status code is never negative, the indices are below 16.
        let key = code << 8 | methodIndex << 4 | cacheIndex
        requests[key, default: Tally(counter: metrics.counter(GatehouseMetrics.Name.requests, [
            "method": Self.methodLabels[methodIndex], "code": String(code), "cache": cache,
        ]))].pending += 1
        requestLatencies.record(nanoseconds: duration.nanoseconds)
    }

    /// The loop gave its core away before a request (`gatehouse_event_loop_yields_total`).
    func loopYielded() {
        loopYields.pending += 1
    }

    /// A request that `requestStarted` counted is over.
    func requestEnded() {
        inFlightChange -= 1
    }

    func upstreamResponded(code: Int, duration: TimeAmount) {
        upstreamByCode[code, default: Tally(
            counter: metrics.counter(GatehouseMetrics.Name.upstreamRequests, ["code": String(code)])
        )].pending += 1
        upstreamLatencies.record(nanoseconds: duration.nanoseconds)
    }

    func upstreamFailed(kind: String) {
        counter(LabelKey(name: GatehouseMetrics.Name.upstreamErrors, first: kind, second: ""), labels: ["kind": kind]).increment()
    }

    /// Every policy's decision on one request: `allowed` by each policy when the request was
    /// admitted (and counted), `limited` by each policy that refused it. A policy that would have
    /// admitted a request another one refused decided nothing (it counted nothing either).
    func rateLimitDecisions(_ outcome: RateLimitOutcome) {
        let results = outcome.results
        // By index, each field read in place: iterating copied every result (its name retained).
        for position in results.indices {
            let admitted = results[position].admitted
            guard outcome.admitted || !admitted else { continue }
            guard let index = results[position].policyIndex, index >= 0 else {
                // No index to keep tallies under: counted in the registry at once.
                decisionCounter(policy: results[position].policyName, decision: admitted ? "allowed" : "limited").increment()
                continue
            }
            if index >= decisionPolicies.count {
                decisionPolicies += repeatElement(nil, count: index + 1 - decisionPolicies.count)
                decisionTallies += repeatElement(nil, count: 2 * decisionPolicies.count - decisionTallies.count)
            }
            if decisionPolicies[index] != results[position].policyName {
                decisionTallies[2 * index]?.publish()
                decisionTallies[2 * index + 1]?.publish()
                let policy = results[position].policyName
                decisionPolicies[index] = policy
                decisionTallies[2 * index] = Tally(counter: decisionCounter(policy: policy, decision: "allowed"))
                decisionTallies[2 * index + 1] = Tally(counter: decisionCounter(policy: policy, decision: "limited"))
            }
            decisionTallies[2 * index + (admitted ? 0 : 1)]?.pending += 1
        }
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
        if lookups[index] == nil {
            lookups[index] = Tally(counter: metrics.counter(GatehouseMetrics.Name.cacheLookups, ["result": result]))
        }
        lookups[index]?.pending += 1
    }

    /// Adds everything counted on this loop since the last publish to the shared registry; run
    /// on this loop before a scrape renders it.
    func publish() {
        for index in requests.indices {
            requests.values[index].publish()
        }
        for index in upstreamByCode.indices {
            upstreamByCode.values[index].publish()
        }
        for index in lookups.indices {
            lookups[index]?.publish()
        }
        for index in decisionTallies.indices {
            decisionTallies[index]?.publish()
        }
        loopYields.publish()
        metrics.merge(requests: requestLatencies, upstream: upstreamLatencies)
        requestLatencies.reset()
        upstreamLatencies.reset()
        if inFlightChange != 0 {
            metrics.requestsInFlight.increment(by: Double(inFlightChange))
            inFlightChange = 0
        }
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
