// LatencyHistogramTests: bucket placement, merging and the text a scrape renders.
import Testing
@testable import GatehouseServer

@Suite struct LatencyHistogramTests {
    private let bounds: [Duration] = [.milliseconds(1), .milliseconds(10), .seconds(1)]

    /// A value equal to a bound counts in that bound's bucket (Prometheus's `le`); above the
    /// last bound it counts only in +Inf; a negative one counts as zero.
    @Test func valuesLandInTheFirstBucketNotBelowThem() {
        var histogram = LatencyHistogram(bounds: bounds)
        for nanoseconds: Int64 in [-5, 1_000_000, 1_000_001, 10_000_000, 2_000_000_000] {
            histogram.record(nanoseconds: nanoseconds)
        }
        #expect(histogram.counts == [2, 2, 0, 1])
        #expect(histogram.count == 5)
        #expect(histogram.sum == .nanoseconds(2_012_000_001))
    }

    @Test func mergeAddsAndResetForgets() {
        var loopA = LatencyHistogram(bounds: bounds)
        var loopB = LatencyHistogram(bounds: bounds)
        loopA.record(nanoseconds: 500_000)
        loopB.record(nanoseconds: 5_000_000)
        loopB.record(nanoseconds: 5_000_000)
        var total = LatencyHistogram(bounds: bounds)
        total.merge(loopA)
        total.merge(loopB)
        #expect(total.counts == [1, 2, 0, 0])
        #expect(total.count == 3)
        #expect(total.sum == .nanoseconds(10_500_000))
        loopB.reset()
        #expect(loopB.count == 0 && loopB.sum == .zero && loopB.counts == [0, 0, 0, 0])
        total.merge(loopB)
        #expect(total.count == 3)
    }

    /// Cumulative buckets, `le` and `_sum` in seconds as swift-prometheus writes them.
    @Test func rendersThePrometheusHistogramText() {
        var histogram = LatencyHistogram(bounds: bounds)
        histogram.record(nanoseconds: 500_000)
        histogram.record(nanoseconds: 2_500_000_000)
        #expect(histogram.render(name: "x_seconds") == """
            # TYPE x_seconds histogram
            x_seconds_bucket{le="0.001"} 1
            x_seconds_bucket{le="0.01"} 1
            x_seconds_bucket{le="1.0"} 1
            x_seconds_bucket{le="+Inf"} 2
            x_seconds_sum 2.5005
            x_seconds_count 2

            """)
    }

    /// Thousands of long requests in flight sum to 2⁶³ ns within months: the sum must neither
    /// wrap (a negative sum made the exposition trap) nor lose a nanosecond.
    @Test func theSumOutgrowsInt64NanosecondsExactly() {
        var loop = LatencyHistogram(bounds: bounds)
        var total = LatencyHistogram(bounds: bounds)
        for _ in 0..<20 {
            loop.record(nanoseconds: Int64.max / 8 + 1)
            total.merge(loop)
            loop.reset()
        }
        loop.record(nanoseconds: 1)
        total.merge(loop)
        let eighth = Duration.nanoseconds(Int64.max / 8 + 1)
        #expect(total.sum == eighth * 20 + .nanoseconds(1))
        #expect(total.render(name: "x_seconds").contains("x_seconds_sum 23058430092.136939521\n"))
    }
}
