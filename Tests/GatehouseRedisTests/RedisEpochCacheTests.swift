// RedisEpochCacheTests: the local copy of the purge epoch never goes back to before a purge it saw.
import NIOCore
import Testing
@testable import GatehouseRedis

@Suite struct RedisEpochCacheTests {
    private static func at(_ milliseconds: Int64) -> NIODeadline {
        .uptimeNanoseconds(UInt64(1_000_000_000 + milliseconds * 1_000_000))
    }

    private static func cache() -> RedisCacheStore.EpochCache {
        RedisCacheStore.EpochCache(key: "gatehouse:epoch", refreshInterval: .seconds(1))
    }

    /// A GET sent before a purge, answered after its INCR (another connection), read the epoch
    /// from before the purge: taking it would bring back everything the purge dropped.
    @Test func aReadSentBeforeAPurgeCannotUndoIt() {
        let epoch = Self.cache()
        #expect(epoch.remember(4, sentAt: Self.at(0), receivedAt: Self.at(1)) == 4)
        // The stale GET goes out at 10; the purge's INCR at 11, answered at 12.
        #expect(epoch.remember(5, sentAt: Self.at(11), receivedAt: Self.at(12)) == 5)
        #expect(epoch.remember(4, sentAt: Self.at(10), receivedAt: Self.at(13)) == 5)
        #expect(epoch.fresh(at: Self.at(14)) == 5)
    }

    /// The INCR's reply arriving after a GET that Redis ran before it still raises the epoch.
    @Test func aPurgeAnsweredLateStillTakesEffect() {
        let epoch = Self.cache()
        #expect(epoch.remember(4, sentAt: Self.at(11), receivedAt: Self.at(12)) == 4)
        #expect(epoch.remember(5, sentAt: Self.at(10), receivedAt: Self.at(13)) == 5)
        #expect(epoch.fresh(at: Self.at(14)) == 5)
    }

    /// A lower epoch read after the copy arrived is what Redis holds now (restarted empty): every
    /// instance must agree on it.
    @Test func aLowerEpochReadAfterwardsWins() {
        let epoch = Self.cache()
        #expect(epoch.remember(7, sentAt: Self.at(0), receivedAt: Self.at(1)) == 7)
        #expect(epoch.remember(0, sentAt: Self.at(2000), receivedAt: Self.at(2001)) == 0)
        #expect(epoch.fresh(at: Self.at(2002)) == 0)
    }

    /// The copy is fresh for the refresh interval from when its latest confirming read was sent.
    @Test func freshnessFollowsTheLatestConfirmation() {
        let epoch = Self.cache()
        epoch.remember(3, sentAt: Self.at(0), receivedAt: Self.at(5))
        #expect(epoch.fresh(at: Self.at(999)) == 3)
        #expect(epoch.fresh(at: Self.at(1000)) == nil)
        // Sent before the copy arrived, same value: confirms it from its own sending time.
        epoch.remember(3, sentAt: Self.at(2), receivedAt: Self.at(1001))
        #expect(epoch.fresh(at: Self.at(1001)) == 3)
        #expect(epoch.fresh(at: Self.at(1002)) == nil)
    }
}
