// RequestBodyClockTests: the minimum-rate rule's arithmetic: allowance, earned time, pauses and the gap bound.

import NIOCore
import Testing
@testable import GatehouseServer

@Suite struct RequestBodyClockTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    private func clock(minRate: Int = 500, received: Int = 0, readsPaused: Bool = false) -> RequestBodyClock {
        RequestBodyClock(
            allowance: .seconds(10), minRate: minRate, maxGap: .seconds(60), received: received,
            readsPaused: readsPaused, now: start
        )
    }

    @Test func theAllowanceGrowsByASecondPerMinRateBytes() {
        var clock = clock(received: 1_000)
        #expect(clock.deadline == start + .seconds(12))
        clock.bytesArrived(250, at: start + .seconds(1))
        #expect(clock.deadline == start + .milliseconds(12_500))
    }

    /// Time with reads paused (the origin not taking the body) is not spent: the deadline moves
    /// on by the pause, and there is none during it.
    @Test func pausedTimeIsNotSpent() {
        var clock = clock()
        clock.pause(at: start + .seconds(4))
        #expect(clock.deadline == nil)
        clock.resume(at: start + .seconds(100))
        #expect(clock.deadline == start + .seconds(106))
    }

    @Test func aClockStartedPausedRunsFromItsResume() {
        var clock = clock(readsPaused: true)
        #expect(clock.deadline == nil)
        clock.resume(at: start + .seconds(5))
        #expect(clock.deadline == start + .seconds(15))
    }

    /// Earned time does not let a client stall: no wait for the next bytes outlasts the gap.
    @Test func aStallIsCutAtTheGapWhateverWasEarned() {
        var clock = clock()
        clock.bytesArrived(10 << 20, at: start + .seconds(1))
        #expect(clock.deadline == start + .seconds(61))
    }

    @Test func aRateOfZeroLeavesOnlyTheGap() {
        let clock = clock(minRate: 0)
        #expect(clock.deadline == start + .seconds(60))
    }

    @Test func earnedTimeSaturatesInsteadOfOverflowing() {
        var clock = clock(minRate: 1)
        clock.bytesArrived(.max - 1, at: start)
        #expect(clock.deadline == start + .seconds(60))
    }
}
