// CacheInvalidationLogTests: which fetches the log lets store — by URL, after a purge of everything, past its capacity.
import GatehouseCore
@testable import GatehouseServer
import Testing

@Suite struct CacheInvalidationLogTests {
    private static func url(_ path: String) -> CacheURLKey {
        CachePolicy().urlKey(for: CacheTarget(scheme: "http", host: "h", target: path), namespaceVersion: 0)
    }

    @Test func onlyAnInvalidationOfTheSameURLAfterTheFetchBeganStopsItsStore() {
        let log = CacheInvalidationLog()
        let before = log.mark
        log.record(Self.url("/a"))
        let after = log.mark
        #expect(log.invalidated(Self.url("/a"), since: before))
        #expect(!log.invalidated(Self.url("/b"), since: before))
        #expect(!log.invalidated(Self.url("/a"), since: after))
        log.record(Self.url("/a"))
        #expect(log.invalidated(Self.url("/a"), since: after))
    }

    @Test func aPurgeOfEverythingStopsEveryFetchBegunBefore() {
        let log = CacheInvalidationLog()
        let before = log.mark
        log.recordAll()
        #expect(log.invalidated(Self.url("/anything"), since: before))
        #expect(!log.invalidated(Self.url("/anything"), since: log.mark))
    }

    @Test func pastItsCapacityTheLogForgetsAndCountsOlderFetchesAsInvalidated() {
        let log = CacheInvalidationLog()
        let early = log.mark
        for index in 0...CacheInvalidationLog.capacity {
            log.record(Self.url("/item/\(index)"))
        }
        // "/never" was not invalidated, but the log no longer knows what came after `early`.
        #expect(log.invalidated(Self.url("/never"), since: early))
        let late = log.mark
        #expect(!log.invalidated(Self.url("/never"), since: late))
        #expect(!log.invalidated(Self.url("/item/0"), since: late))
    }
}
