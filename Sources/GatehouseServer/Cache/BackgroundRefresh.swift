// BackgroundRefresh: refreshes a stale entry upstream while clients are served the stale copy.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// One upstream exchange with no client attached (stale-while-revalidate): sends the
/// revalidation request, then stores the refreshed entry (304) or the new response (200),
/// and ends the single flight that keeps a key to one refresh at a time. Its upstream exchange
/// and its store are counted like a client's (`gatehouse_upstream_*`, `gatehouse_cache_stores_total`):
/// they are upstream load and cache churn all the same.
final class BackgroundRefresh {
    private let cache: ResponseCache
    private let request: CacheableRequest
    private let stale: CacheEntry
    private let key: CacheKey
    /// The request's fields as the origin gets them: what a new response's `Vary` is keyed on,
    /// as for every other store (a client's own fields can name another variant).
    private let varyHeaders: HTTPHeaders
    private let flightKey: String
    /// `cache.invalidations.mark` when the refresh began: a write to the URL since stops its store.
    private let fetchMark: UInt64
    /// The store's `purgeEpoch` when the refresh began: a purge of everything since stops its store.
    private let fetchEpoch: UInt64?
    private let eventLoop: any EventLoop
    /// The recorder of `eventLoop`, the loop every step of the refresh runs on.
    private let recorder: RequestMetricsRecorder
    private var upstream: UpstreamConnection?
    private var pool: UpstreamConnectionPool?
    private var requestTime = CacheTime.now()
    /// When the connection was asked for, as a client's exchange is timed.
    private var upstreamStartedAt = NIODeadline.now()
    private var absorbed: HTTPResponseHead?
    private var plan: CacheStoragePlan?
    /// The origin answered with what replaces the stale copy, which is not to be kept either:
    /// it goes when the answer ends, so that clients get the origin's answer, not the copy.
    private var endsStaleCopy = false
    private var body: ByteBuffer?
    /// Keeps this object alive from the start until it finishes: nothing else owns a refresh
    /// (the upstream handler holds its delegate only while the exchange runs).
    private var selfReference: BackgroundRefresh?

    private init(
        cache: ResponseCache, request: CacheableRequest, stale: CacheEntry, key: CacheKey, varyHeaders: HTTPHeaders,
        flightKey: String, eventLoop: any EventLoop, recorder: RequestMetricsRecorder
    ) {
        self.cache = cache
        self.request = request
        self.stale = stale
        self.key = key
        self.varyHeaders = varyHeaders
        self.flightKey = flightKey
        self.eventLoop = eventLoop
        self.recorder = recorder
        self.fetchMark = cache.invalidations.mark
        self.fetchEpoch = cache.store.purgeEpoch
    }

    /// Starts a refresh of `stale` unless one for the same key is already running. `recorder`
    /// is the one of `pool`'s event loop.
    static func startIfIdle(
        cache: ResponseCache, request: CacheableRequest, stale: CacheEntry, key: CacheKey, varyHeaders: HTTPHeaders,
        upstreamHead: HTTPRequestHead, pool: UpstreamConnectionPool, recorder: RequestMetricsRecorder
    ) {
        let flightKey = "refresh:" + key.value
        guard cache.flights.leadIfIdle(flightKey) else { return }
        // The refresh is a GET whatever asked for it, and its 200 is stored as a GET's.
        var fetched = request
        fetched.isHEAD = false
        let refresh = BackgroundRefresh(
            cache: cache, request: fetched, stale: stale, key: key, varyHeaders: varyHeaders, flightKey: flightKey,
            eventLoop: pool.eventLoop, recorder: recorder
        )
        refresh.selfReference = refresh
        refresh.pool = pool
        // A GET (a HEAD that found the entry stale refreshes the GET it is served from), without
        // the client's conditionals and range (the refresh must bring the whole response), with
        // the entry's validators when it has any.
        let head = cache.policy.revalidationHead(for: upstreamHead, entry: stale)
        refresh.upstreamStartedAt = .now()
        pool.acquireFuture().whenComplete { result in
            switch result {
            case .success(let upstream):
                refresh.upstream = upstream
                refresh.requestTime = .now()
                upstream.handler.beginExchange(delegate: refresh)
                upstream.writeHead(head)
                do throws(UpstreamFailure) {
                    try upstream.writeEnd()
                } catch {
                    refresh.upstreamFailed(error)  // the connection is closed: nothing reached the origin
                }
            case .failure(let error):
                let failure = error as? UpstreamFailure ?? .connectFailed(String(describing: error))
                refresh.recorder.upstreamFailed(kind: failure.metricKind)
                refresh.finish(stored: nil)
            }
        }
    }

    private func finish(stored entry: CacheEntry?) {
        cache.flights.finish(flightKey, outcome: entry.map { .stored($0, key) } ?? .notStored, pass: false, now: .now())
        selfReference = nil
    }
}

extension BackgroundRefresh: UpstreamResponseDelegate {
    func upstreamReceivedContinue() {}  // a refresh sends no body

    func upstreamReceivedHead(_ head: HTTPResponseHead) {
        recorder.upstreamResponded(code: Int(head.status.code), duration: .now() - upstreamStartedAt)
        if head.status == .notModified {
            absorbed = head
            return
        }
        switch cache.policy.storageDecision(for: head, to: request, requestTime: requestTime, responseTime: .now()) {
        case .store(let plan):
            self.plan = plan
            endsStaleCopy = true  // should its body outgrow `max_object_size`
        case .doNotStore(let reason):
            endsStaleCopy = Self.endsStaleCopy(head.status, reason: reason)
        }
    }

    /// Whether an answer that may not be stored ends the stale copy's use: a new representation
    /// (2xx, 3xx) or word that there is none (404, 410), unstorable for a reason of its own
    /// (`no-store`, `private`, `Set-Cookie`, no freshness…). Otherwise it would be served on for
    /// the rest of its stale-while-revalidate window (an origin's may be a day), a new refresh
    /// discarding the origin's answer each time. A 5xx leaves it for stale-if-error, and an
    /// answer about the asking client (its credential, a 401) to the other clients.
    private static func endsStaleCopy(_ status: HTTPResponseStatus, reason: CacheNotStoredReason) -> Bool {
        reason.isAboutTheResponse && (status.code < 400 || status == .notFound || status == .gone)
    }

    func upstreamReceivedBody(_ buffer: ByteBuffer) {
        guard plan != nil else { return }
        var buffer = buffer
        if (body?.readableBytes ?? 0) + buffer.readableBytes > cache.policy.maxObjectSize {
            plan = nil
            body = nil
        } else if body == nil {
            body = buffer
        } else {
            body?.writeBuffer(&buffer)
        }
    }

    func upstreamReadComplete() {}

    func upstreamReceivedEnd() {
        if let upstream, let pool {
            pool.release(upstream)
        }
        let now = CacheTime.now()
        let fetch = CacheFetchStart(time: requestTime, epoch: fetchEpoch)
        var stored: CacheEntry?
        if let absorbed {
            switch cache.policy.refresh(stale, with: absorbed, for: request, requestTime: requestTime, responseTime: now) {
            case .refreshed(let entry, let retention):
                cache.insert(entry, for: key, retention: retention, fetchMark: fetchMark, fetch: fetch, now: now, on: eventLoop)
                stored = entry
            case .serveOnly, .mismatch:
                _ = cache.store.remove(key, on: eventLoop)
            }
        } else if let plan {
            let entry = plan.entry(body: body ?? ByteBuffer())
            let newKey = CacheKey(primary: key.primary, varyNames: plan.varyNames, requestHeaders: varyHeaders)
            cache.insert(entry, for: newKey, retention: plan.retention, fetchMark: fetchMark, fetch: fetch, now: now, on: eventLoop)
            stored = entry
        } else if endsStaleCopy {
            _ = cache.store.remove(key, on: eventLoop)
        }
        finish(stored: stored)
    }

    func upstreamFailed(_ failure: UpstreamFailure) {
        recorder.upstreamFailed(kind: failure.metricKind)
        upstream?.close()
        finish(stored: nil)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {}
}
