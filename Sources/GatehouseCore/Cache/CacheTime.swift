// CacheTime: whole seconds since 1970, the wall clock every cache decision is made against.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time at one-second resolution. HTTP dates, `Age` and freshness are all whole
/// seconds, so nothing finer is needed; policy functions take it as a parameter so tests can
/// drive the clock.
public struct CacheTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var secondsSince1970: Int64

    public init(secondsSince1970: Int64) {
        self.secondsSince1970 = secondsSince1970
    }

    /// The current wall-clock time, from the coarse clock where there is one: whole seconds need
    /// no finer, and a cache hit asks several times (counted: ~25 ns a read of the precise clock
    /// here, a few ns of the coarse one, which lags it by at most a scheduler tick).
    public static func now() -> CacheTime {
        var spec = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_REALTIME_COARSE, &spec)
        #else
        clock_gettime(CLOCK_REALTIME, &spec)
        #endif
        return CacheTime(secondsSince1970: Int64(spec.tv_sec))
    }

    /// Saturating, so an absurd lifetime cannot trap.
    public static func + (time: CacheTime, seconds: Int64) -> CacheTime {
        let (sum, overflow) = time.secondsSince1970.addingReportingOverflow(seconds)
        return CacheTime(secondsSince1970: overflow ? (seconds > 0 ? .max : .min) : sum)
    }

    /// Seconds from `rhs` to `lhs`, saturating.
    public static func - (lhs: CacheTime, rhs: CacheTime) -> Int64 {
        let (difference, overflow) = lhs.secondsSince1970.subtractingReportingOverflow(rhs.secondsSince1970)
        return overflow ? (lhs > rhs ? .max : .min) : difference
    }

    public static func < (lhs: CacheTime, rhs: CacheTime) -> Bool {
        lhs.secondsSince1970 < rhs.secondsSince1970
    }

    public var description: String { HTTPDate.format(self) }
}
