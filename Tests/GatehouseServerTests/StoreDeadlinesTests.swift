// StoreDeadlinesTests: the backstop on remote store calls fails the overdue ones and only those.
import NIOCore
import NIOPosix
import Testing
@testable import GatehouseServer

/// Each test keeps its `StoreDeadlines` alive to the end, as the server state does: its timer
/// holds it weakly, and a released one fires nothing.
@Suite struct StoreDeadlinesTests {
    /// A call that never answers fails after its timeout; one that answers keeps its answer, and
    /// an answer after the deadline changes nothing.
    @Test func overdueCallsFailAndAnsweredOnesKeepTheirAnswer() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let (answered, silent, late, lateStore, deadlines) = try await loop.submit {
            let deadlines = StoreDeadlines(eventLoop: loop)
            let quick = loop.makePromise(of: Int.self)
            let never = loop.makePromise(of: Int.self)
            let slow = loop.makePromise(of: Int.self)
            let answered = deadlines.bound(quick.futureResult, by: .milliseconds(200))
            let silent = deadlines.bound(never.futureResult, by: .milliseconds(50))
            let late = deadlines.bound(slow.futureResult, by: .milliseconds(50))
            quick.succeed(7)
            return (answered, silent, late, (never, slow), deadlines)
        }.get()
        #expect(try await answered.get() == 7)
        await #expect(throws: StoreDeadlineExceeded.self) { try await silent.get() }
        await #expect(throws: StoreDeadlineExceeded.self) { try await late.get() }
        // The store answering after the backstop fired is ignored, not a second completion.
        try await loop.submit {
            lateStore.1.succeed(1)
            lateStore.0.fail(StoreDeadlineExceeded())
        }.get()
        withExtendedLifetime(deadlines) {}
    }

    /// Calls answered out of order do not hold back the expiry of an older silent one, and a
    /// later call still gets its full timeout after the timer fired for an earlier one.
    @Test func expiryFollowsEachCallsOwnDeadline() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let (first, firstStore, second, secondStore, start, deadlines) = try await loop.submit {
            let deadlines = StoreDeadlines(eventLoop: loop)
            let start = NIODeadline.now()
            let firstStore = loop.makePromise(of: Int.self)
            let first = deadlines.bound(firstStore.futureResult, by: .milliseconds(30))
            let secondStore = loop.makePromise(of: Int.self)
            let second = deadlines.bound(secondStore.futureResult, by: .seconds(30))
            return (first, firstStore, second, secondStore, start, deadlines)
        }.get()
        await #expect(throws: StoreDeadlineExceeded.self) { try await first.get() }
        #expect(NIODeadline.now() - start >= .milliseconds(30))
        try await loop.submit {
            secondStore.succeed(2)
            firstStore.succeed(1)  // long after its backstop: ignored
        }.get()
        #expect(try await second.get() == 2)
        withExtendedLifetime(deadlines) {}
    }

    /// The last connections' teardown runs while the loop drains its final tasks: a lookup
    /// bounded then armed the timer, and the server state released with them cancelled it. A
    /// cancelled scheduled task is dropped with its promise unfulfilled, a leak that traps in
    /// debug builds (a crash at exit in RedisScaleOutTests). The timer is now a scheduled
    /// callback, which carries no promise.
    @Test func aTimerArmedAndCancelledWhileTheLoopShutsDownLeaksNothing() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        try await loop.submit {
            // Failed by the shutdown, on the loop, while it drains.
            loop.scheduleTask(in: .hours(1)) {}.futureResult.whenFailure { _ in
                let deadlines = StoreDeadlines(eventLoop: loop)
                _ = deadlines.bound(loop.makeSucceededFuture(1), by: .seconds(10))
                // Released here: its deinit cancels the timer it just armed.
            }
        }.get()
        try await group.shutdownGracefully()
    }
}
