// CacheExchange: what the cache stage knows about one request while it goes through the proxy.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Per-request cache state: the request as the policy sees it, its key, its role in the
/// single flight, a stale entry kept for revalidation or stale-if-error, and the body being
/// captured for storing.
final class CacheExchange {
    let request: CacheableRequest
    let cache: ResponseCache
    /// The store's count of stores before the lookup: a pass-memo mark taken from this exchange
    /// holds only while no store has happened since.
    let storeCount: UInt64
    /// `cache.invalidations.mark` before the lookup: the response is stored only if no write or
    /// purge invalidated the URL since.
    let fetchMark: UInt64
    var primary: CachePrimaryKey?
    /// The variant key the response will be stored under (set once the lookup is done).
    var key: CacheKey?
    /// The single-flight key this request leads, if it leads one.
    var leadsFlight: String?
    /// The flight key marked uncacheable (hit-for-pass) that this request went around; cleared
    /// when the response turns out storable after all.
    var passKey: String?
    /// A stored entry that was not fresh: revalidated upstream, or served if the upstream fails.
    var staleEntry: CacheEntry?
    /// The request went upstream with If-None-Match / If-Modified-Since from `staleEntry`.
    var revalidating = false
    /// What the cache did, for Cache-Status, metrics and the access log.
    var status: CacheStatus = .forward(.miss)
    /// When the exchange began, before its lookup: what a shared store compares the URL's purge
    /// marks with. Never later than the request went upstream, so a purge after the origin may
    /// have read the old data always stops the store.
    let fetchBegan: CacheTime
    /// When the request last went upstream (`sentUpstream()`), for the stored entry's age: the
    /// lookup and a wait behind a single-flight leader are no part of the response's delay
    /// (RFC 9111 §4.2.3), and counting them aged the entry by the leader's whole wait.
    private(set) var requestTime: CacheTime
    /// The store's `purgeEpoch` once the lookup found nothing fresh, before the request goes
    /// upstream: a purge of everything since, through any instance, stops the store.
    var fetchEpoch: UInt64?
    /// The response head being stored, and its body so far; nil when not storing.
    var plan: CacheStoragePlan?
    var captured: ByteBuffer?
    /// The upstream answered 304 to a revalidation or 5xx with a stale entry at hand: the
    /// response is absorbed and answered from the cache at its end.
    var absorbed: HTTPResponseHead?
    /// A range request's miss went upstream without its `Range`, to store the whole response:
    /// the response is withheld from the client, which gets its part from the stored entry
    /// (see `ProxyHandler+RangeFill`).
    var fillsRange = false

    init(request: CacheableRequest, cache: ResponseCache, storeCount: UInt64) {
        self.request = request
        self.cache = cache
        self.storeCount = storeCount
        self.fetchMark = cache.invalidations.mark
        self.fetchBegan = .now()
        self.requestTime = fetchBegan
    }

    /// The request is being sent upstream (again, after a retry or a refetch): its response's
    /// delay counts from now.
    func sentUpstream() {
        requestTime = .now()
    }

    /// What the store is told of this fetch when its response is stored.
    var fetchStart: CacheFetchStart {
        CacheFetchStart(time: fetchBegan, epoch: fetchEpoch)
    }

    /// Whether the response is being captured for the store: its origin is then read at the
    /// origin's pace, not the client's (see `ProxyHandler.channelWritabilityChanged`).
    var isCapturing: Bool { plan != nil }

    /// Appends a body part to the capture, giving up once it passes `max_object_size`.
    func capture(_ buffer: ByteBuffer) -> Bool {
        guard isCapturing else { return false }
        guard (captured?.readableBytes ?? 0) + buffer.readableBytes <= cache.policy.maxObjectSize else {
            plan = nil
            captured = nil
            return false
        }
        if captured == nil {
            captured = buffer
        } else {
            var copy = buffer
            captured?.writeBuffer(&copy)
        }
        return true
    }
}
