// CachePassMemoTests: the per-loop memo of absent, unstorable URLs — how long a mark holds, what ends it, its bound.

import Testing
@testable import GatehouseCore

@Suite struct CachePassMemoTests {
    static func target(_ path: String) -> CacheTarget {
        CacheTarget(scheme: "http", host: "example.com", target: path)
    }

    static let second = CachePassMemo.markDuration

    @Test func aMarkHoldsForItsDurationAndNoLonger() {
        let memo = CachePassMemo()
        #expect(!memo.isMarked(Self.target("/a"), now: 10, storeCount: 0))
        memo.mark(Self.target("/a"), now: 10, storeCount: 0)
        #expect(memo.isMarked(Self.target("/a"), now: 10, storeCount: 0))
        #expect(memo.isMarked(Self.target("/a"), now: 10 + Self.second - 1, storeCount: 0))
        #expect(!memo.isMarked(Self.target("/a?x"), now: 11, storeCount: 0))
        #expect(!memo.isMarked(Self.target("/a"), now: 10 + Self.second, storeCount: 0))
        // A mark that lapsed is forgotten, not kept for a later check.
        #expect(memo.count == 0)
    }

    @Test func anyStoreEndsEveryMark() {
        let memo = CachePassMemo()
        memo.mark(Self.target("/a"), now: 0, storeCount: 7)
        memo.mark(Self.target("/b"), now: 0, storeCount: 7)
        #expect(!memo.isMarked(Self.target("/a"), now: 1, storeCount: 8))
        #expect(!memo.isMarked(Self.target("/b"), now: 1, storeCount: 8))
        // Marked again at the new count, it holds again.
        memo.mark(Self.target("/a"), now: 2, storeCount: 8)
        #expect(memo.isMarked(Self.target("/a"), now: 3, storeCount: 8))
    }

    @Test func targetsDifferingOnlyInHostOrSchemeAreApart() {
        let memo = CachePassMemo()
        memo.mark(Self.target("/a"), now: 0, storeCount: 0)
        #expect(!memo.isMarked(CacheTarget(scheme: "http", host: "other.example", target: "/a"), now: 1, storeCount: 0))
        #expect(!memo.isMarked(CacheTarget(scheme: "https", host: "example.com", target: "/a"), now: 1, storeCount: 0))
        // Normalised like the cache key: the default port and the host's case do not matter.
        #expect(memo.isMarked(CacheTarget(scheme: "http", host: "Example.COM:80", target: "/a"), now: 1, storeCount: 0))
    }

    @Test func theMemoStaysWithinItsCapacity() {
        let memo = CachePassMemo()
        for index in 0..<(3 * CachePassMemo.capacity) {
            memo.mark(Self.target("/\(index)"), now: UInt64(index), storeCount: 0)
            #expect(memo.count <= CachePassMemo.capacity)
        }
        // The newest mark survives the clearing that made room for it.
        let last = 3 * CachePassMemo.capacity - 1
        #expect(memo.isMarked(Self.target("/\(last)"), now: UInt64(last), storeCount: 0))
    }
}
