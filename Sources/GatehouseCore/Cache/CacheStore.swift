// CacheStore: the storage seam of the response cache — memory now, Redis later, one test suite for both.
import NIOCore
import NIOHTTP1

/// Where entries and namespace versions live. Small on purpose (like pingora-cache's
/// `Storage`): the policy decides, the store only keeps. Every operation returns a future on
/// the caller's event loop because a remote store is asynchronous; a local store answers with
/// completed futures. A store never fails a request: errors surface as misses (`lookup`),
/// `false` (`store`) or a failed future the caller may log and ignore.
///
/// Entries live under a two-level key: a primary key (URL and user) holds either the entry
/// of a response without `Vary`, or the `Vary` names of the variants stored under
/// `CacheKey`s derived from it. Storing an entry whose `Vary` names differ from the
/// primary's drops the other variants.
public protocol CacheStore: Sendable {
    /// First level: what is stored under `primary` and not expired at `now`.
    func lookup(_ primary: CachePrimaryKey, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<CachePrimaryLookup>

    /// Second level: the entry stored under `key`, unless expired at `now`.
    func lookup(_ key: CacheKey, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<CacheEntry?>

    /// Both levels for a request (one round trip where the store can do it); has a default.
    /// `requestHeaders` is called, on `eventLoop`, only when the URL's responses vary: the proxy
    /// builds the forwarded request's fields for that alone.
    func find(
        _ primary: CachePrimaryKey, requestHeaders: @escaping () -> HTTPHeaders, now: CacheTime, on eventLoop: any EventLoop
    ) -> EventLoopFuture<CacheLookupResult>

    /// Keeps `entry` under `key` for `retention` seconds from `now` (its freshness plus stale
    /// allowance). `key.varyNames` must equal `entry.varyNames`. False when refused.
    func store(_ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<Bool>

    /// The same, refused (false) when a purge recorded by the store itself came after the fetch
    /// began: one of `key`'s URL at or after `fetch.time` (less a second, for clocks apart), or
    /// one of everything since the store's epoch was `fetch.epoch`. A store shared by instances
    /// sees the purges of all of them, where each process's own `CacheInvalidationLog` sees its
    /// own. A store without such records stores as `store(_:for:retention:now:on:)`.
    func store(
        _ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime, fetch: CacheFetchStart, on eventLoop: any EventLoop
    ) -> EventLoopFuture<Bool>

    /// Whether a store of a response whose fetch began at `fetch`, with a body of `bodyLength`
    /// bytes (nil: not known yet), is sure to be refused, as far as the store can tell at once
    /// (no round trip, no lock): a body that cannot fit, a link to a shared store that is down.
    /// `Cache-Status` then leaves out `stored`, which goes out with the head, before the store.
    func refusesStore(bodyLength: Int?, fetch: CacheFetchStart) -> Bool

    /// What `purgeAll` moves on (through any instance sharing the store), as this process last
    /// learned it, read without a round trip: a fetch notes it before going upstream and hands it
    /// back in `CacheFetchStart`. nil for a store without one (the default), and for a shared
    /// store that has not learned it yet.
    var purgeEpoch: UInt64? { get }

    /// Drops the entry under `key` (one variant).
    func remove(_ key: CacheKey, on eventLoop: any EventLoop) -> EventLoopFuture<Void>

    /// Drops every entry of a URL: all users, all variants. Returns how many were dropped.
    func purge(_ url: CacheURLKey, on eventLoop: any EventLoop) -> EventLoopFuture<Int>

    /// The current version of `namespace` (0 until first bumped).
    func namespaceVersion(_ namespace: String, on eventLoop: any EventLoop) -> EventLoopFuture<UInt64>

    /// Increments the version of `namespace`, making its entries unreachable; returns the new one.
    func bumpNamespace(_ namespace: String, on eventLoop: any EventLoop) -> EventLoopFuture<UInt64>

    /// Drops every entry (namespace versions stay, so they only ever grow).
    func purgeAll(on eventLoop: any EventLoop) -> EventLoopFuture<Void>

    func stats(on eventLoop: any EventLoop) -> EventLoopFuture<CacheStoreStats>
}

extension CacheStore {
    public func store(
        _ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime, fetch: CacheFetchStart, on eventLoop: any EventLoop
    ) -> EventLoopFuture<Bool> {
        store(entry, for: key, retention: retention, now: now, on: eventLoop)
    }

    /// A store that cannot tell in advance: only the store itself refuses.
    public func refusesStore(bodyLength: Int?, fetch: CacheFetchStart) -> Bool { false }

    /// A store only this process uses: `purgeAll` empties it at once, and the process's own log
    /// stops the fetches it overtook.
    public var purgeEpoch: UInt64? { nil }

    /// `find` with the request's headers at hand.
    public func find(_ primary: CachePrimaryKey, requestHeaders: HTTPHeaders, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<CacheLookupResult> {
        find(primary, requestHeaders: { requestHeaders }, now: now, on: eventLoop)
    }

    /// Looks up `primary`, then the variant the request headers select.
    public func find(
        _ primary: CachePrimaryKey, requestHeaders: @escaping () -> HTTPHeaders, now: CacheTime, on eventLoop: any EventLoop
    ) -> EventLoopFuture<CacheLookupResult> {
        // The closure is the caller's and not Sendable; it is only ever called on its loop.
        let requestHeaders = NIOLoopBound(requestHeaders, eventLoop: eventLoop)
        return lookup(primary, now: now, on: eventLoop).flatMap { first in
            switch first {
            case .miss:
                return eventLoop.makeSucceededFuture(.uriMiss)
            case .entry(let entry):
                let key = CacheKey(primary: primary, varyNames: [], requestHeaders: HTTPHeaders())
                return eventLoop.makeSucceededFuture(.hit(entry, key))
            case .varies(let names):
                let key = CacheKey(primary: primary, varyNames: names, requestHeaders: requestHeaders.value())
                return lookup(key, now: now, on: eventLoop).map { entry in
                    entry.map { .hit($0, key) } ?? .varyMiss(key)
                }
            }
        }
    }
}
