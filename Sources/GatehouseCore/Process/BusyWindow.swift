// BusyWindow: whether a thread has been on its CPU for most of the last millisecond — the arithmetic behind LoopTurn.

/// A window of wall time over which a thread's own CPU time is compared with the time that
/// passed. Clock readings come in as nanoseconds, so the decision is testable without clocks.
///
/// A window closes once it is at least `length` long. A thread that ran for at least three
/// quarters of it has been serving without a break; one that ran less slept or was preempted
/// meanwhile, so other threads of its core had their turn anyway.
public struct BusyWindow: Sendable {
    /// Long enough that the check is rare next to a request's cost (a few µs), short against
    /// the scheduler's tick (4 ms at HZ=250), which is how long a woken thread that did not
    /// preempt waits otherwise. Measured on the benchmark's hits (one proxy beside wrk on two
    /// cores): 1 ms halved the p99 (4.98 → 2.43 ms) with the p50 unchanged; 0.5 ms (Seastar's
    /// task quota) took the p99 to 2.05 ms but doubled the p50 (416 → 810 µs), as connections
    /// on both loops then waited out each other's turns; 2 ms kept less of the gain.
    public static let length: UInt64 = 1_000_000

    private var start: UInt64
    private var cpuStart: UInt64

    /// A window opened at wall time `now`, with the thread's CPU clock at `cpu`.
    public init(now: UInt64, cpu: UInt64) {
        self.start = now
        self.cpuStart = cpu
    }

    /// Whether the window is long enough to judge: only then does the caller read the thread's
    /// CPU clock (a system call, where the wall clock is not).
    public func isDue(now: UInt64) -> Bool {
        now &- start >= Self.length
    }

    /// Closes the window at `now` with the thread's CPU clock at `cpu`, opens the next one
    /// there, and says whether the thread was on its CPU for at least 3/4 of the closed one.
    public mutating func close(now: UInt64, cpu: UInt64) -> Bool {
        let wall = now &- start
        let ran = cpu &- cpuStart
        start = now
        cpuStart = cpu
        return wall > 0 && ran >= wall - wall / 4
    }

    /// Opens the next window at `now` without judging the current one (after the thread gave
    /// its CPU away: the time it then waited is not its own).
    public mutating func restart(now: UInt64, cpu: UInt64) {
        start = now
        cpuStart = cpu
    }
}
