// CacheFlightsTests: who leads a flight, who waits on it, and what a background refresh leaves behind.
import GatehouseCore
import NIOCore
import NIOPosix
import Testing
@testable import GatehouseServer

@Suite struct CacheFlightsTests {
    /// A refresh already running turns later refreshes of the key away without leaving a waiter
    /// each (the stale hits that ask for them are served meanwhile); a miss still follows it.
    @Test func aRunningRefreshCollectsNoWaiters() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let flights = CacheFlights()
        #expect(flights.leadIfIdle("refresh:k"))
        for _ in 0..<1_000 {
            #expect(!flights.leadIfIdle("refresh:k"))
        }
        #expect(flights.followersWaiting == 0)
        guard case .follower(let outcome) = flights.join("refresh:k", on: loop, now: .now()) else {
            Issue.record("a join during the flight should follow it")
            return
        }
        #expect(flights.followersWaiting == 1)
        flights.finish("refresh:k", outcome: .notStored, pass: false, now: .now())
        guard case .notStored = try await outcome.get() else {
            Issue.record("the follower should learn the flight's outcome")
            return
        }
        #expect(flights.followersWaiting == 0)
        #expect(flights.leadIfIdle("refresh:k"))
    }
}
