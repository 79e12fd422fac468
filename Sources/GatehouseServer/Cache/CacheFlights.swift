// CacheFlights: single flight per cache key — one upstream fetch, every other miss waits for it.
import GatehouseCore
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Collapses concurrent misses for one key into one upstream request (Varnish's waiting list,
/// nginx's proxy_cache_lock without its polling): followers are woken by a promise the moment
/// the leader's response is known, never by a timer.
///
/// Revalidations of a stale entry collapse the same way, under their own keys
/// (`revalidationKey`): a miss's followers and a revalidation's learn different things.
///
/// A key whose response turned out uncacheable is remembered for `passDuration` (hit-for-pass),
/// so later requests for it go upstream in parallel at once instead of queueing behind a leader.
final class CacheFlights: Sendable {
    /// What a follower learns when the leader's response is known.
    enum Outcome: Sendable {
        /// Stored under this key: serve the entry to followers it is the variant of.
        case stored(CacheEntry, CacheKey)
        /// A revalidation's 304 refreshed the stale entry, now stored under this key.
        case refreshed(CacheEntry, CacheKey)
        /// A revalidation found the origin failing (no response, or this 5xx) and answered
        /// with the stale copy: followers serve theirs too, where stale-if-error allows.
        case failed(upstreamStatus: UInt?)
        /// Not storable, or the fetch failed: go upstream yourself.
        case notStored
        /// The fetch began before a write to its URL, so its response was not stored: what
        /// the followers need is a fetch begun after it. One of them leads it, the rest follow.
        case refetch
    }

    enum Role {
        /// Fetch it, then call `finish`.
        case leader
        /// Wait for the leader.
        case follower(EventLoopFuture<Outcome>)
        /// Known uncacheable for now: go upstream without waiting or storing.
        case pass
    }

    static let passDuration: Int64 = 30
    /// Bounds the hit-for-pass memory; past it the oldest half is forgotten.
    static let maxPassKeys = 100_000

    private struct State {
        var waiting: [String: [EventLoopPromise<Outcome>]] = [:]
        var passUntil: [String: Int64] = [:]
    }

    private let state = NIOLockedValueBox(State())
    /// Entries stored so far through this process's cache stage; per-loop `CachePassMemo` marks
    /// taken at an older count no longer hold. Lives here because the flights, like the store,
    /// outlive a reload that keeps the store.
    private let stores = Atomic<UInt64>(0)

    /// How many entries have been stored so far (see `stores`).
    var storeCount: UInt64 {
        stores.load(ordering: .acquiring)
    }

    /// Counts a store; call it once the entry is in the store.
    func noteStored() {
        stores.wrappingAdd(1, ordering: .releasing)
    }

    /// The flight key of the revalidation of the stale entry stored under `key`.
    static func revalidationKey(_ key: CacheKey) -> String {
        "revalidate:" + key.value
    }

    /// Joins the flight for `key`: the first caller leads, later callers follow until `finish`.
    func join(_ key: String, on eventLoop: any EventLoop, now: CacheTime) -> Role {
        state.withLockedValue { state in
            if let until = state.passUntil[key] {
                if until > now.secondsSince1970 {
                    return .pass
                }
                state.passUntil[key] = nil
            }
            guard state.waiting[key] != nil else {
                state.waiting[key] = []
                return .leader
            }
            let promise = eventLoop.makePromise(of: Outcome.self)
            state.waiting[key, default: []].append(promise)
            return .follower(promise.futureResult)
        }
    }

    /// Takes the flight for `key` when nobody holds it, and otherwise does nothing: for a
    /// background refresh, whose callers are served the stale entry meanwhile and wait for
    /// nothing. (A follower's promise per stale hit would pile up for as long as the refresh
    /// runs: at hit rates, hundreds of thousands during a slow origin's response timeout.)
    /// And for a client's own `no-cache`, which may lead a revalidation but never follow one.
    func leadIfIdle(_ key: String) -> Bool {
        state.withLockedValue { state in
            guard state.waiting[key] == nil else { return false }
            state.waiting[key] = []
            return true
        }
    }

    /// Ends the flight for `key`, waking every follower. `pass` marks the key uncacheable for a
    /// while (the response was not storable, as opposed to a failed fetch).
    func finish(_ key: String, outcome: Outcome, pass: Bool, now: CacheTime) {
        let followers = state.withLockedValue { state -> [EventLoopPromise<Outcome>] in
            if pass {
                if state.passUntil.count >= Self.maxPassKeys {
                    let expired = state.passUntil.filter { $0.value > now.secondsSince1970 }
                    state.passUntil = expired.count < Self.maxPassKeys / 2 ? expired : [:]
                }
                state.passUntil[key] = now.secondsSince1970 + Self.passDuration
            }
            return state.waiting.removeValue(forKey: key) ?? []
        }
        for promise in followers {
            promise.succeed(outcome)
        }
    }

    /// Forgets a hit-for-pass mark (the URL was purged or written to).
    func clearPass(_ key: String) {
        state.withLockedValue { _ = $0.passUntil.removeValue(forKey: key) }
    }

    /// Requests waiting on a flight, all keys together.
    var followersWaiting: Int {
        state.withLockedValue { $0.waiting.values.reduce(0) { $0 + $1.count } }
    }
}
