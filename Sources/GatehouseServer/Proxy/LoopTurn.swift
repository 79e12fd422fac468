// LoopTurn: an event loop that has served for a millisecond without a break lets whatever else waits for its core run first.
import GatehouseCore
import Glibc
import NIOCore

/// One per event loop, used only on it; asked at the start of each request.
///
/// A loop with requests ready never sleeps, and a thread that does not sleep keeps its core
/// until the scheduler's next tick (4 ms at HZ=250) unless a waking thread preempts it, which
/// the Linux scheduler (EEVDF) often declines to do. Another loop put on the same core (two
/// loops, one core taken by other work) then waits, with all its connections, for up to a tick:
/// on this machine, in the 100 KiB-hit benchmark, that was the loops' pattern (runs of 2.5–6 ms,
/// the other loop's p99 wait 1 ms, max 5 ms) and Gatehouse's p99 sat a tick above its p50.
/// Like Seastar's task quota, a loop that was on its CPU for most of the last millisecond
/// (`BusyWindow`) calls `sched_yield`, which under EEVDF moves its deadline back one slice:
/// whatever is runnable on the core runs next, and the loop resumes after. With nothing
/// waiting the call returns at once; it costs a CPU-clock read per millisecond of serving.
final class LoopTurn {
    /// Opened at the loop's first request: the CPU clock read must be the loop thread's own.
    private var window: BusyWindow?

    /// `now`: the request's start on the monotonic clock (already read for it). Returns
    /// whether the loop yielded.
    @discardableResult
    func requestStarting(now: UInt64) -> Bool {
        guard var current = window else {
            window = BusyWindow(now: now, cpu: Self.threadCPUNanos())
            return false
        }
        guard current.isDue(now: now) else { return false }
        let busy = current.close(now: now, cpu: Self.threadCPUNanos())
        if busy {
            sched_yield()
            current.restart(now: Self.wallNanos(), cpu: Self.threadCPUNanos())
        }
        window = current
        return busy
    }

    /// The clock requests' start times are read on (`InFlightRequest.startedAt`), so a window's
    /// ends compare with them by construction.
    static func wallNanos() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds
    }

    static func threadCPUNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
