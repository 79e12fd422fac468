// CacheInvalidationLog: which URLs writes and purges invalidated lately, so a fetch that began before one stores nothing.
import GatehouseCore
import NIOConcurrencyHelpers
import Synchronization

/// The race nginx and Varnish leave open: a miss's fetch begins, a write to the same URL
/// completes and purges it, then the fetch ends and stores what the origin read before the
/// write, served until its TTL. Each invalidation here takes the next number of a sequence; a
/// fetch notes the number current when it began (`mark`), and its response is stored only if
/// no invalidation of its URL came after. Shared by every event loop, and across reloads that
/// keep the store, like the flights. Covers the invalidations made through this process (with a
/// Redis store, another instance's writes are not seen here).
final class CacheInvalidationLog: Sendable {
    /// URLs remembered at most; past that the log starts over and counts every fetch begun before
    /// as invalidated (it stores nothing: a miss more, never a stale entry).
    static let capacity = 4_096

    private struct State {
        var last: UInt64 = 0
        var latest: [CacheURLKey: UInt64] = [:]
        /// Fetches that began before this number may have missed an invalidation now forgotten.
        var forgottenThrough: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    /// `state.last`, readable without the lock: every cacheable request reads it.
    private let sequence = Atomic<UInt64>(0)

    init() {}

    /// The number a fetch beginning now notes.
    var mark: UInt64 {
        sequence.load(ordering: .acquiring)
    }

    /// `url` was invalidated: fetches of it begun before now store nothing.
    func record(_ url: CacheURLKey) {
        state.withLockedValue { state in
            if state.latest.count >= Self.capacity {
                state.forgottenThrough = state.last
                state.latest.removeAll(keepingCapacity: true)
            }
            state.last += 1
            state.latest[url] = state.last
            sequence.store(state.last, ordering: .releasing)
        }
    }

    /// Everything was invalidated (a purge of the whole cache).
    func recordAll() {
        state.withLockedValue { state in
            state.last += 1
            state.forgottenThrough = state.last
            state.latest.removeAll(keepingCapacity: true)
            sequence.store(state.last, ordering: .releasing)
        }
    }

    /// Whether `url` was invalidated after a fetch that noted `mark` began. When nothing at all
    /// was invalidated since (the usual case: a store checks two or three times), neither the
    /// lock is taken nor `url` made.
    func invalidated(_ url: @autoclosure () -> CacheURLKey, since mark: UInt64) -> Bool {
        guard self.mark != mark else { return false }
        let url = url()
        return state.withLockedValue { state in
            if mark < state.forgottenThrough { return true }
            return (state.latest[url] ?? 0) > mark
        }
    }
}
