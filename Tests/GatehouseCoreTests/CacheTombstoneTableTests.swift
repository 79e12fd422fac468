// CacheTombstoneTableTests: failed invalidations — what they hide, what settles them, and their bound.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct CacheTombstoneTableTests {
    static func target(_ path: String) -> CacheTarget {
        CacheTarget(scheme: "http", host: "example.com", target: path)
    }

    static func at(_ second: Int64) -> CacheTime {
        CacheTime(secondsSince1970: second)
    }

    static let keys = CacheKeyBuilder(version: "1")

    @Test func aURLTombstoneHidesThatURLsOlderEntriesOnly() {
        var table = CacheTombstoneTable(capacity: 8)
        table.bury(.url(Self.target("/a"), namespace: nil, keys: Self.keys), at: Self.at(100))
        let bar = table.bar(for: Self.target("/a"), namespace: nil)
        #expect(bar == Self.at(100))
        #expect(table.bar(for: Self.target("/b"), namespace: nil) == nil)
        // Stored in the write's second or the next (clocks apart): hidden; later: served.
        #expect(CacheTombstoneTable.hides(responseTime: Self.at(99), bar: Self.at(100)))
        #expect(CacheTombstoneTable.hides(responseTime: Self.at(101), bar: Self.at(100)))
        #expect(!CacheTombstoneTable.hides(responseTime: Self.at(102), bar: Self.at(100)))
        #expect(table.latest == Self.at(100))
    }

    @Test func aNamespaceTombstoneHidesEveryURLOfTheNamespace() {
        var table = CacheTombstoneTable(capacity: 8)
        table.bury(.namespace("users"), at: Self.at(50))
        #expect(table.bar(for: Self.target("/users/1"), namespace: "users") == Self.at(50))
        #expect(table.bar(for: Self.target("/users/1"), namespace: nil) == nil)
        #expect(table.bar(for: Self.target("/users/1"), namespace: "other") == nil)
    }

    @Test func aRetryOnlySettlesTheBurialItRetried() {
        var table = CacheTombstoneTable(capacity: 8)
        let first = table.bury(.url(Self.target("/a"), namespace: nil, keys: Self.keys), at: Self.at(10))
        // Written again while the retry of the first ran: its success does not cover the second.
        table.bury(.url(Self.target("/a"), namespace: nil, keys: Self.keys), at: Self.at(12))
        table.settle(first)
        #expect(table.bar(for: Self.target("/a"), namespace: nil) == Self.at(12))
        table.settle(table.all[0])
        #expect(table.isEmpty)
    }

    @Test func pastItsCapacityEverythingOlderIsHiddenAndPurgedAsAWhole() {
        var table = CacheTombstoneTable(capacity: 2)
        table.bury(.url(Self.target("/a"), namespace: nil, keys: Self.keys), at: Self.at(10))
        table.bury(.namespace("n"), at: Self.at(11))
        let collapsed = table.bury(.url(Self.target("/c"), namespace: nil, keys: Self.keys), at: Self.at(12))
        #expect(collapsed.subject == .everything)
        #expect(table.count == 1)
        #expect(table.bar(for: Self.target("/z"), namespace: nil) == Self.at(12))
        // A later URL is kept beside it; settling the purge of everything leaves that one.
        table.bury(.url(Self.target("/d"), namespace: nil, keys: Self.keys), at: Self.at(13))
        table.settle(collapsed)
        #expect(table.count == 1)
        #expect(table.bar(for: Self.target("/z"), namespace: nil) == nil)
        #expect(table.bar(for: Self.target("/d"), namespace: nil) == Self.at(13))
    }

    @Test func aHiddenHitReadsAsTheMissItWouldHaveBeen() {
        let entry = CacheEntry(
            status: .ok, headers: [:], body: .init(), responseTime: Self.at(5), initialAge: 0,
            freshness: CacheFreshness(lifetime: 60), varyNames: []
        )
        let key = CacheKey(primary: Self.keys.primaryKey(for: Self.target("/a"), namespace: nil, namespaceVersion: 0, user: nil), varyNames: [], requestHeaders: [:])
        #expect(CacheLookupResult.hit(entry, key).hidingEntries(storedBy: Self.at(5)) == .uriMiss)
        #expect(CacheLookupResult.hit(entry, key).hidingEntries(storedBy: Self.at(3)) == .hit(entry, key))
    }
}
