// SlidingWindow: one key's strict sliding-window counter in at most 66 buckets, whatever the limit.

/// The admissions of one rate-limit key, kept as a few buckets instead of a log of timestamps.
///
/// A bucket counts admissions and remembers when the latest of them arrived. A new admission joins
/// the newest bucket while both lie in the same slot of `window / slotsPerWindow` and the bucket
/// holds fewer than `limit / slotsPerWindow` (rounded up) admissions; otherwise it opens a new one.
/// A request at `now` is admitted iff the buckets whose latest admission lies in
/// `(now − window, now]` hold fewer than `limit` admissions together.
///
/// - Strict: every admission inside `(now − window, now]` belongs to a bucket whose latest admission
///   is inside that interval too, so the sum over-counts, never under-counts: no window of length
///   `window`, at any alignment, ever holds more than `limit` admissions.
/// - Efficient: only the one bucket that straddles `now − window` is over-counted, by less than its
///   size, so the count exceeds an exact log's by fewer than `limit / slotsPerWindow` (rounded up)
///   — none at all for limits up to 32, where every bucket holds one admission — and an admission
///   is held less than one slot longer than an exact log would hold it, which alone guarantees
///   ≥ 32/33 ≈ 97% of `limit` per window under steady demand, a margin over the 95% promised.
/// - Bounded: buckets older than the window are dropped when the next admission is recorded; at most
///   `slotsPerWindow + 1` slots and `slotsPerWindow + 1` full buckets fit in a window, so at most
///   `2 × slotsPerWindow + 2` buckets (16 bytes each) remain, independent of `limit`.
/// - Exact waits: `retryAfter` is computed from the buckets, so it is the very first moment this
///   limiter admits again, at most one slot later than an exact log would.
///
/// Time is monotonic nanoseconds passed in by the caller (tests inject it). A `now` earlier than the
/// latest recorded admission — two event loops that read the clock in one order and take the lock in
/// the other — is treated as that admission's time, which keeps the counting strict.
/// `limit` and `window` are passed on each call, so one stored value serves any policy.
public struct SlidingWindow: Sendable, Equatable {
    /// Slots per window, and buckets per limit: 32 keeps the over-count under 1/32 of the limit.
    public static let slotsPerWindow: UInt64 = 32

    /// A run of consecutive admissions within one slot.
    struct Bucket: Sendable, Equatable {
        /// Time of the latest admission in this bucket; the bucket counts while it is in the window.
        var latest: UInt64
        var count: Int
    }

    /// Oldest first.
    private(set) var buckets: [Bucket] = []
    /// The sum of every bucket's count, expired ones not yet dropped included. Expired buckets are
    /// a prefix (oldest first), usually empty or one long, so a count is this total less that
    /// prefix: a few steps instead of a walk over up to 66 buckets, three times per request.
    private var total = 0

    /// An empty window (nothing admitted yet).
    public init() {}

    /// True when nothing has been admitted within the last `window` before `now`.
    public func isIdle(at now: UInt64, window: UInt64) -> Bool {
        guard let newest = buckets.last else { return true }
        return !SlidingWindow.counts(newest, at: max(now, newest.latest), window: window)
    }

    /// The admissions that count against a request at `now`.
    public func count(at now: UInt64, window: UInt64) -> Int {
        total &- expired(at: clamped(now), window: window).admissions
    }

    /// True when a request at `now` would be admitted under `limit` per `window` (a limit below 1
    /// admits nothing).
    public func wouldAdmit(at now: UInt64, limit: Int, window: UInt64) -> Bool {
        count(at: now, window: window) < limit
    }

    /// Records one admission at `now` without checking the limit (the store checks every policy of a
    /// request first, then records them all).
    public mutating func record(at now: UInt64, limit: Int, window: UInt64) {
        let now = clamped(now)
        let gone = expired(at: now, window: window)
        if gone.buckets > 0 {
            buckets.removeFirst(gone.buckets)
        }
        total &+= 1 &- gone.admissions
        let slotWidth = SlidingWindow.slotWidth(window)
        if let newest = buckets.last, newest.latest / slotWidth == now / slotWidth,
           newest.count < SlidingWindow.bucketCapacity(limit) {
            buckets[buckets.count - 1].latest = now
            buckets[buckets.count - 1].count += 1
        } else {
            buckets.append(Bucket(latest: now, count: 1))
        }
    }

    /// Checks and records in one step: true (and recorded) when the request at `now` is admitted.
    public mutating func admit(at now: UInt64, limit: Int, window: UInt64) -> Bool {
        guard wouldAdmit(at: now, limit: limit, window: window) else { return false }
        record(at: now, limit: limit, window: window)
        return true
    }

    /// Nanoseconds from `now` until the earliest moment a request would be admitted if nothing else is
    /// admitted meanwhile; 0 when one would be admitted at `now`. Exact: a request at
    /// `now + retryAfter` is admitted, one a nanosecond earlier is not.
    ///
    /// A limit below 1 never admits; the window length is returned so callers still get a finite wait.
    public func retryAfter(at now: UInt64, limit: Int, window: UInt64) -> UInt64 {
        guard limit >= 1 else { return window }
        let effectiveNow = clamped(now)
        var excess = count(at: effectiveNow, window: window) - (limit - 1)
        // A `now` behind the latest admission is evaluated at that admission's time, so it is
        // admitted at `now` itself.
        guard excess > 0 else { return 0 }
        // Buckets leave the window oldest first; the one whose leaving brings the count below the
        // limit fixes the moment.
        for bucket in buckets where SlidingWindow.counts(bucket, at: effectiveNow, window: window) {
            excess -= bucket.count
            if excess <= 0 {
                return SlidingWindow.leavingTime(of: bucket, window: window) - now
            }
        }
        return window
    }

    /// Nanoseconds from `now` until the oldest counted admission leaves the window (more quota
    /// becomes available); nil when nothing counts.
    public func nextRelease(at now: UInt64, window: UInt64) -> UInt64? {
        let effectiveNow = clamped(now)
        guard let oldest = buckets.first(where: { SlidingWindow.counts($0, at: effectiveNow, window: window) }) else {
            return nil
        }
        return SlidingWindow.leavingTime(of: oldest, window: window) - now
    }

    /// The time of the latest recorded admission, if any.
    public var latestAdmission: UInt64? { buckets.last?.latest }

    /// The buckets that no longer count at `now` (a prefix, oldest first, `now` already clamped) and
    /// the admissions they hold.
    private func expired(at now: UInt64, window: UInt64) -> (buckets: Int, admissions: Int) {
        var buckets = 0
        var admissions = 0
        for bucket in self.buckets {
            guard !SlidingWindow.counts(bucket, at: now, window: window) else { break }
            buckets += 1
            admissions &+= bucket.count
        }
        return (buckets, admissions)
    }

    private func clamped(_ now: UInt64) -> UInt64 {
        max(now, buckets.last?.latest ?? 0)
    }

    /// True while `bucket` is inside `(now − window, now]`; requires `now ≥ bucket.latest`.
    private static func counts(_ bucket: Bucket, at now: UInt64, window: UInt64) -> Bool {
        now - bucket.latest < window
    }

    /// The first moment at which `bucket` no longer counts (saturating rather than overflowing).
    private static func leavingTime(of bucket: Bucket, window: UInt64) -> UInt64 {
        let (sum, overflow) = bucket.latest.addingReportingOverflow(window)
        return overflow ? UInt64.max : sum
    }

    private static func slotWidth(_ window: UInt64) -> UInt64 {
        max(window / slotsPerWindow, 1)
    }

    /// Admissions one bucket may hold: ⌈limit / slotsPerWindow⌉, at least 1.
    private static func bucketCapacity(_ limit: Int) -> Int {
        guard limit > 0 else { return 1 }
        let slots = Int(slotsPerWindow)
        return limit / slots + (limit % slots == 0 ? 0 : 1)
    }
}
