// LatencyHistogram: durations counted into fixed buckets, as plain numbers one event loop owns.
import NIOCore
import Prometheus

/// A Prometheus histogram of durations without a lock: each event loop records into its own
/// copy, and a scrape merges them (`merge(_:)`) before rendering. swift-prometheus's histogram
/// takes a lock on every record, which both loops took twice per request (measured: its
/// contention was a third of the process's futex calls under load).
struct LatencyHistogram: Sendable {
    /// Upper bounds in nanoseconds, ascending.
    let bounds: [Int64]
    /// Observations per bucket (not cumulative); the last one is above every bound (+Inf).
    private(set) var counts: [Int]
    /// The sum as whole seconds plus nanoseconds, so it never overflows: a process summing the
    /// durations of thousands of long requests in flight reaches 2⁶³ ns (292 years) within
    /// months, and a wrapped, negative sum would make the exposition trap.
    private var sumSeconds: Int64 = 0
    /// Kept below `carryAt` by moving whole seconds into `sumSeconds`.
    private var sumNanoseconds: Int64 = 0
    private(set) var count = 0

    private static let nanosecondsPerSecond: Int64 = 1_000_000_000
    private static let carryAt: Int64 = 1 << 60
    /// No single observation counts for more (36 years): the sum of two stays far from overflow.
    private static let largestObservation: Int64 = 1 << 60

    /// The sum of every observation.
    var sum: Duration {
        .seconds(sumSeconds) + .nanoseconds(sumNanoseconds)
    }

    init(bounds: [Duration]) {
        self.bounds = bounds.map { TimeAmount($0).nanoseconds }.sorted()
        self.counts = Array(repeating: 0, count: bounds.count + 1)
    }

    mutating func record(nanoseconds: Int64) {
        let value = min(max(0, nanoseconds), Self.largestObservation)
        var bucket = 0
        while bucket < bounds.count && bounds[bucket] < value {
            bucket += 1
        }
        counts[bucket] += 1
        addToSum(seconds: 0, nanoseconds: value)
        count += 1
    }

    private mutating func addToSum(seconds: Int64, nanoseconds: Int64) {
        sumSeconds &+= seconds
        sumNanoseconds += nanoseconds
        if sumNanoseconds >= Self.carryAt {
            sumSeconds &+= sumNanoseconds / Self.nanosecondsPerSecond
            sumNanoseconds %= Self.nanosecondsPerSecond
        }
    }

    /// Adds `other`'s observations (same bounds) to these.
    mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        for index in counts.indices {
            counts[index] += other.counts[index]
        }
        addToSum(seconds: other.sumSeconds, nanoseconds: other.sumNanoseconds)
        count += other.count
    }

    /// Forgets every observation (after they were merged elsewhere).
    mutating func reset() {
        guard count > 0 else { return }
        for index in counts.indices {
            counts[index] = 0
        }
        sumSeconds = 0
        sumNanoseconds = 0
        count = 0
    }

    /// The text exposition, byte for byte what swift-prometheus writes for a duration histogram
    /// without labels (the `le` values and `_sum` in seconds), so dashboards see no change.
    func render(name: String) -> String {
        var text = "# TYPE \(name) histogram\n"
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index]
            text += "\(name)_bucket{le=\"\(Duration.nanoseconds(bound).bucketRepresentation)\"} \(cumulative)\n"
        }
        text += "\(name)_bucket{le=\"+Inf\"} \(count)\n"
        text += "\(name)_sum \(sum.bucketRepresentation)\n"
        text += "\(name)_count \(count)\n"
        return text
    }
}
