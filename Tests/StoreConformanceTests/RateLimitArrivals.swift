// RateLimitArrivals: request arrival patterns (µs-aligned nanoseconds) and the exact-log strictness check.

import GatehouseCore

/// How requests arrive over a few windows. Times are multiples of 1 µs, the Redis script's resolution.
enum RateLimitArrivals: CaseIterable, CustomStringConvertible, Sendable {
    /// All of a window's demand (3× the limit) at one instant, twice per window.
    case bursts
    /// Evenly spaced at twice the limit.
    case steady2x
    /// Twice the limit, spacing jittered by a seeded generator.
    case jittered2x

    var description: String {
        switch self {
        case .bursts: "bursts"
        case .steady2x: "steady2x"
        case .jittered2x: "jittered2x"
        }
    }

    var isSteadyOverload: Bool { self != .bursts }

    func arrivals(limit: Int, window: UInt64, windows: Int, start: UInt64) -> [UInt64] {
        let horizon = window * UInt64(windows)
        var times: [UInt64] = []
        switch self {
        case .bursts:
            for half in 0..<(2 * windows) {
                let at = start + UInt64(half) * window / 2 + 123_000
                times += Array(repeating: at, count: 3 * limit / 2)
            }
        case .steady2x, .jittered2x:
            var random = SplitMix64(state: 42)
            let spacing = window / UInt64(2 * limit)
            var time = start
            while time < start + horizon {
                times.append(time / 1000 * 1000)
                let jitter = self == .jittered2x ? random.next() % spacing : spacing / 2
                time += spacing / 2 + jitter
            }
        }
        return times
    }

    /// The most admissions in any interval `(t − window, t]` (the worst is always at an admission).
    static func busiestWindow(_ admitted: [UInt64], window: UInt64) -> Int {
        var busiest = 0
        var oldest = 0
        for (index, time) in admitted.enumerated() {
            while time - admitted[oldest] >= window { oldest += 1 }
            busiest = max(busiest, index - oldest + 1)
        }
        return busiest
    }
}
