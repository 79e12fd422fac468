// BusyWindowTests: a window is judged only once a millisecond long, and busy only when its thread ran for 3/4 of it.
import Testing
import GatehouseCore

@Suite struct BusyWindowTests {
    let start: UInt64 = 7_000_000_000
    let cpuStart: UInt64 = 3_000_000

    @Test func aWindowIsNotJudgedBeforeItIsAMillisecondLong() {
        let window = BusyWindow(now: start, cpu: cpuStart)
        #expect(!window.isDue(now: start))
        #expect(!window.isDue(now: start + BusyWindow.length - 1))
        #expect(window.isDue(now: start + BusyWindow.length))
        #expect(window.isDue(now: start + 40_000_000))
    }

    @Test func aThreadThatRanForThreeQuartersOfTheWindowWasBusy() {
        var window = BusyWindow(now: start, cpu: cpuStart)
        let busy1 = window.close(now: start + 500_000, cpu: cpuStart + 500_000)
        #expect(busy1)
        window = BusyWindow(now: start, cpu: cpuStart)
        let busy2 = window.close(now: start + 800_000, cpu: cpuStart + 600_000)
        #expect(busy2)
        window = BusyWindow(now: start, cpu: cpuStart)
        let busy3 = window.close(now: start + 800_000, cpu: cpuStart + 599_999)
        #expect(!busy3)
    }

    @Test func aThreadThatSleptOrWaitedForItsCoreWasNotBusy() {
        var window = BusyWindow(now: start, cpu: cpuStart)
        // Slept 10 ms after 400 µs of work, or was preempted for a tick: it gave way anyway.
        let busy4 = window.close(now: start + 10_400_000, cpu: cpuStart + 400_000)
        #expect(!busy4)
        window = BusyWindow(now: start, cpu: cpuStart)
        let busy5 = window.close(now: start + 4_500_000, cpu: cpuStart + 500_000)
        #expect(!busy5)
    }

    @Test func closingOpensTheNextWindowWhereTheLastEnded() {
        var window = BusyWindow(now: start, cpu: cpuStart)
        let closed = start + BusyWindow.length
        let busy6 = window.close(now: closed, cpu: cpuStart + BusyWindow.length)
        #expect(busy6)
        #expect(!window.isDue(now: closed + BusyWindow.length - 1))
        #expect(window.isDue(now: closed + BusyWindow.length))
        // Judged on its own CPU time only: the millisecond before it does not count.
        let busy7 = window.close(now: closed + 1_000_000, cpu: cpuStart + BusyWindow.length + 100_000)
        #expect(!busy7)
    }

    @Test func aRestartedWindowForgetsTheTimeBeforeIt() {
        var window = BusyWindow(now: start, cpu: cpuStart)
        // The thread yielded and waited 3 ms for its core: that wait is not held against the next window.
        window.restart(now: start + 3_000_000, cpu: cpuStart + 500_000)
        #expect(!window.isDue(now: start + 3_000_000 + BusyWindow.length - 1))
        let busy8 = window.close(now: start + 3_000_000 + BusyWindow.length, cpu: cpuStart + 500_000 + BusyWindow.length)
        #expect(busy8)
    }

    @Test func aZeroLengthWindowIsNeverBusy() {
        var window = BusyWindow(now: start, cpu: cpuStart)
        let busy9 = window.close(now: start, cpu: cpuStart + 1_000)
        #expect(!busy9)
    }
}
