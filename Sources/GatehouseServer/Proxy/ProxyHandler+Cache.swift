// ProxyHandler+Cache: the cache stage — lookup, single flight, storing, revalidation and stale serving.
import GatehouseCore
import NIOCore
import NIOHTTP1

extension ProxyHandler {
    /// Conditional fields a cache must not pass upstream on a miss it means to store: the
    /// store needs the full response, whatever this client already has.
    static let clientConditionalFields = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range"]

    /// The request's normalised path, made once and shared with the rate limiter, when `policy`
    /// has rules to match it against; nil (nothing made) when it has none.
    private static func rulePath(of request: InFlightRequest, policy: CachePolicy) -> NormalizedPath? {
        policy.rules.isEmpty ? nil : request.matchPath
    }

    /// Looks the request up (GET/HEAD) or marks it as bypassing the cache, then goes on.
    func consultCache(for request: InFlightRequest) {
        guard let cache = request.runtime.cache, let context else {
            request.cacheStatus = .forward(.bypass)
            connectUpstream(for: request, allowReuse: true)
            return
        }
        let path = Self.rulePath(of: request, policy: cache.policy)
        switch cache.policy.classify(
            request.head, forwarded: request.forwardedOrigin, user: request.user, path: path, hasBody: request.framing != .none
        ) {
        case .bypass(let reason):
            request.cacheStatus = .forward(reason == .method ? .method : .bypass)
            connectUpstream(for: request, allowReuse: true)
        case .cacheable(let cacheable):
            // Read before the lookup: a store after it ends a mark this exchange may leave.
            let storeCount = cache.flights.storeCount
            if cacheable.keyUser == nil, let memo = cache.passMemo(on: context.eventLoop),
               memo.isMarked(cacheable.target, now: request.startedAt.uptimeNanoseconds, storeCount: storeCount)
            {
                // Known absent and unstorable a moment ago: straight upstream, as a miss that
                // stores nothing (no key, lookup or flight; the client's conditionals go along).
                request.cacheStatus = .forward(.uriMiss)
                connectUpstream(for: request, allowReuse: true)
                return
            }
            let exchange = CacheExchange(request: cacheable, cache: cache, storeCount: storeCount)
            request.cache = exchange
            if let found = cache.lookupNow(for: exchange, varyHeaders: { request.varyHeaders }) {
                cacheLookedUp(.success(found), request: request, exchange: exchange)
                return
            }
            cache.lookup(cacheable, varyHeaders: { request.varyHeaders }, on: context.eventLoop, deadlines: storeDeadlines).whenComplete { result in
                self.cacheLookedUp(result.map { primary, found in
                    exchange.primary = primary
                    return found
                }, request: request, exchange: exchange)
            }
        }
    }

    private func cacheLookedUp(_ result: consuming Result<CacheLookupResult, any Error>, request: InFlightRequest, exchange: CacheExchange) {
        guard case .connecting(let current) = state, current === request else { return }
        let now = CacheTime.now()
        // Consumed: the entry and key move out of the result instead of being copied from it
        // (every field retained) and the result destroyed after (every field released).
        switch consume result {
        case .failure:
            // A failing store means a miss, never an error to the client.
            exchange.status = .forward(.miss)
            if exchange.request.hasRange {
                forwardPart(request: request, exchange: exchange)
                return
            }
            connectUpstream(for: request, allowReuse: true)
        case .success(.hit(let entry, let key)):
            exchange.key = key
            switch exchange.cache.policy.state(of: entry, for: exchange.request, now: now) {
            case .fresh(let ttl):
                serveFromCache(entry, status: .hit(ttl: ttl), request: request)
            case .staleWhileRevalidate:
                // Serve the stale copy now; one background exchange refreshes it for later requests:
                // a GET of its own, so without this request's body (or any promise of one).
                if let context, let upstreamHead = request.upstreamHead,
                   let pool = request.runtime.pools.pool(for: context.eventLoop)
                {
                    BackgroundRefresh.startIfIdle(
                        cache: exchange.cache, request: exchange.request, stale: entry, key: key,
                        varyHeaders: request.varyHeaders, upstreamHead: upstreamHead, pool: pool, recorder: recorder
                    )
                }
                serveFromCache(entry, status: .staleWhileRevalidate(ttl: entry.ttl(at: now)), request: request)
            case .staleIfErrorOnly, .mustRevalidate, .expired:
                exchange.staleEntry = entry
                exchange.status = .forward(.stale)
                forwardStale(entry, request: request, exchange: exchange)
            }
        case .success(.uriMiss):
            exchange.status = .forward(.uriMiss)
            forwardMiss(request: request, exchange: exchange)
        case .success(.varyMiss(let key)):
            exchange.key = key
            exchange.status = .forward(.varyMiss)
            forwardMiss(request: request, exchange: exchange)
        }
    }

    /// A miss: the first request for the key fetches it; concurrent ones wait for that fetch.
    /// A range request leads like any other (it fetches the whole response, see
    /// `ProxyHandler+RangeFill`) and a follower's part is cut from what the leader stored; a
    /// range request that can't do either goes upstream as it came.
    private func forwardMiss(request: InFlightRequest, exchange: CacheExchange) {
        let wantsPart = exchange.request.hasRange
        // Noted here, not with the lookup: a fresh hit (the hot path) goes without it.
        exchange.fetchEpoch = exchange.cache.store.purgeEpoch
        guard let context, let primary = exchange.primary, !exchange.request.isHEAD else {
            // HEAD responses are never stored, so a HEAD miss neither leads nor waits.
            forwardUnstored(request: request, exchange: exchange)
            return
        }
        let flightKey = exchange.key?.value ?? primary.value
        switch exchange.cache.flights.join(flightKey, on: context.eventLoop, now: .now()) {
        case .leader:
            exchange.leadsFlight = flightKey
            dropClientConditionals(request)
            if wantsPart {
                startRangeFill(request: request, exchange: exchange)
            }
            connectUpstream(for: request, allowReuse: true)
        case .pass where wantsPart:
            // Known unstorable a moment ago: the part alone, from the origin.
            forwardPart(request: request, exchange: exchange)
        case .pass:
            // Hit-for-miss: go upstream at once, in parallel with others; store if it has become cacheable.
            exchange.passKey = flightKey
            dropClientConditionals(request)
            connectUpstream(for: request, allowReuse: true)
        case .follower(let outcome):
            outcome.whenComplete { result in
                guard case .connecting(let current) = self.state, current === request else { return }
                if case .success(.refetch) = result {
                    // Through the cache stage again, as if it had just arrived: a hit if another
                    // follower's fetch has stored the URL meanwhile, else one follower leads a
                    // fetch begun now, after the write, and the others wait for that one.
                    self.consultCache(for: request)
                    return
                }
                // A follower of a URL miss may want another variant than the leader got.
                if case .success(.stored(let entry, let key)) = result, Self.entry(entry, storedUnder: key, answers: request) {
                    let reason: CacheForwardReason = exchange.key == nil ? .uriMiss : .varyMiss
                    self.serveFromCache(entry, status: .forward(reason, collapsed: true), request: request)
                } else {
                    self.forwardUnstored(request: request, exchange: exchange)
                }
            }
        }
    }

    /// Whether `entry`, stored under `key` by another request's fetch, is the variant `request` asks for.
    private static func entry(_ entry: CacheEntry, storedUnder key: CacheKey, answers request: InFlightRequest) -> Bool {
        entry.varyNames.isEmpty
            || CacheKey(primary: key.primary, varyNames: entry.varyNames, requestHeaders: request.varyHeaders) == key
    }

    /// Upstream outside the single flight: a range request for its part alone, anything else
    /// as a miss that may still be stored.
    private func forwardUnstored(request: InFlightRequest, exchange: CacheExchange) {
        if exchange.request.hasRange {
            forwardPart(request: request, exchange: exchange)
        } else {
            connectUpstream(for: request, allowReuse: true)
        }
    }

    /// A stale or must-revalidate entry: revalidate it upstream when it has a validator, and
    /// keep it at hand for stale-if-error (a request here has no body: one with a body bypasses
    /// the cache, so a 304 naming another representation can send it again whole). A range
    /// request does the same for the whole entry (its `Range` taken off, see `ProxyHandler+RangeFill`) and gets its part from whatever
    /// answers: the refreshed entry after a 304, the new one after a 200, the stale one on error.
    ///
    /// Concurrent revalidations of one entry collapse into one (`CacheFlights.revalidationKey`):
    /// the first GET without a range leads; the rest wait for its outcome (see
    /// `staleFlightLanded`). A client's own `no-cache` (or `max-age=0`) may lead but never
    /// follows: it asked for the origin's word given after it asked, and a flight it joins may
    /// have been answered before. Range requests and HEAD neither lead nor follow.
    private func forwardStale(_ entry: CacheEntry, request: InFlightRequest, exchange: CacheExchange) {
        exchange.fetchEpoch = exchange.cache.store.purgeEpoch
        guard let context, let key = exchange.key, !exchange.request.hasRange, !exchange.request.isHEAD else {
            revalidate(entry, request: request, exchange: exchange)
            return
        }
        let flights = exchange.cache.flights
        let flightKey = CacheFlights.revalidationKey(key)
        if exchange.request.forcesRevalidation {
            if flights.leadIfIdle(flightKey) {
                exchange.leadsFlight = flightKey
            }
            revalidate(entry, request: request, exchange: exchange)
            return
        }
        switch flights.join(flightKey, on: context.eventLoop, now: .now()) {
        case .leader:
            exchange.leadsFlight = flightKey
            revalidate(entry, request: request, exchange: exchange)
        case .pass:
            // The last revalidation's answer could not be stored: each goes upstream, as for a miss.
            revalidate(entry, request: request, exchange: exchange)
        case .follower(let outcome):
            outcome.whenComplete { result in
                guard case .connecting(let current) = self.state, current === request else { return }
                self.staleFlightLanded(result, stale: entry, request: request, exchange: exchange)
            }
        }
    }

    /// A follower's answer from the revalidation it waited for: the refreshed or replacing entry
    /// (`collapsed`, with the status the origin gave the leader), the stale copy when the origin
    /// failed, or, when the leader's fetch came to nothing (its client left, the answer was not
    /// storable), a revalidation of its own, as a miss's follower goes upstream itself.
    private func staleFlightLanded(
        _ result: Result<CacheFlights.Outcome, any Error>, stale: CacheEntry, request: InFlightRequest, exchange: CacheExchange
    ) {
        switch result {
        case .success(.refetch):
            // A write to the URL came during the fetch: through the cache stage again.
            consultCache(for: request)
        case .success(.refreshed(let entry, let key)) where Self.entry(entry, storedUnder: key, answers: request):
            let ttl = entry.ttl(at: .now())
            serveFromCache(entry, status: .forward(.stale, fwdStatus: 304, ttl: ttl, collapsed: true), request: request)
        case .success(.stored(let entry, let key)) where Self.entry(entry, storedUnder: key, answers: request):
            serveFromCache(entry, status: .forward(.stale, fwdStatus: entry.status.code, collapsed: true), request: request)
        case .success(.failed(let upstreamStatus)):
            if !serveStaleOnError(exchange, request: request, upstreamStatus: upstreamStatus) {
                revalidate(stale, request: request, exchange: exchange)
            }
        case .success, .failure:
            revalidate(stale, request: request, exchange: exchange)
        }
    }

    /// Sends the revalidation (or, without a validator, the whole request) upstream.
    private func revalidate(_ entry: CacheEntry, request: InFlightRequest, exchange: CacheExchange) {
        let wantsPart = exchange.request.hasRange
        if entry.hasValidator, !exchange.request.isHEAD, let upstreamHead = request.upstreamHead {
            exchange.revalidating = true
            request.upstreamHead = exchange.cache.policy.revalidationHead(for: upstreamHead, entry: entry)
        } else {
            dropClientConditionals(request)
        }
        if wantsPart {
            startRangeFill(request: request, exchange: exchange)
        }
        connectUpstream(for: request, allowReuse: true)
    }

    /// A range request that is not filling the cache (a failing store, a URL known unstorable, a
    /// fill that turned out unstorable) goes upstream as it came, `Range` and
    /// `If-Range` included: its answer is a part, which is never stored, and the cache never
    /// turns a small range into a whole download of something it won't keep (nginx does, without
    /// its slice module). `Cache-Status` still says why it went forward.
    func forwardPart(request: InFlightRequest, exchange: CacheExchange) {
        request.cache = nil
        request.cacheStatus = exchange.status
        connectUpstream(for: request, allowReuse: true)
    }

    private func dropClientConditionals(_ request: InFlightRequest) {
        // The client's own head is asked (the upstream one adds no conditional), so the usual
        // request, with none, is forwarded without building an upstream head at all.
        guard request.head.headers.contains(where: { field in
            // Every conditional field starts with "If-": only those are lower-cased and compared.
            field.name.utf8.first.map { $0 | 0x20 == UInt8(ascii: "i") } == true
                && Self.clientConditionalFields.contains(field.name.lowercased())
        }), var head = request.upstreamHead
        else { return }
        for name in Self.clientConditionalFields {
            head.headers.remove(name: name)
        }
        request.upstreamHead = head
    }

    /// Decides, on the upstream response head, whether it is stored, and whether it is relayed
    /// at all: a 304 to a revalidation, or a 5xx while a stale entry may be served on error,
    /// is absorbed (false) and answered from the cache when the upstream response ends.
    /// The exchange's `status` then names what happened, for the relayed head's `Cache-Status`.
    func cacheReceivedHead(_ head: HTTPResponseHead, exchange: CacheExchange) -> Bool {
        let now = CacheTime.now()
        let policy = exchange.cache.policy
        if exchange.revalidating && head.status == .notModified {
            exchange.absorbed = head
            return false
        }
        if head.status.code >= 500, let stale = exchange.staleEntry,
           policy.state(of: stale, for: exchange.request, now: now).isServableOnError
        {
            exchange.absorbed = head
            return false
        }
        var storable = false
        var claimsStored = false
        switch policy.storageDecision(for: head, to: exchange.request, requestTime: exchange.requestTime, responseTime: now) {
        case .store(let plan):
            exchange.plan = plan
            storable = true
            // `stored` goes out with this head, before the store has answered: left out when the
            // store is sure to refuse (Redis down, a body over the memory budget). The store may
            // still refuse what it could not foresee (a Redis write failing, a body without a
            // length outgrowing the budget) after the head claimed it.
            let length = head.headers.first(name: "content-length").flatMap { Int($0) }
            claimsStored = !exchange.cache.store.refusesStore(bodyLength: length, fetch: exchange.fetchStart)
            // Captured for the store: read at the origin's pace (see `channelWritabilityChanged`).
            if case .forwarding(_, let upstream) = state {
                upstream.handler.resumeReads()
            }
        case .doNotStore(let reason):
            // Followers stop waiting now, not when this (maybe long) body ends.
            finishFlight(exchange, outcome: .notStored, pass: true)
            rememberPass(exchange, reason: reason)
        }
        if case .forward(let reason, _, _, _, _) = exchange.status {
            let forwardedStatus: UInt? = exchange.revalidating ? head.status.code : nil
            exchange.status = .forward(reason, fwdStatus: forwardedStatus, stored: claimsStored)
        }
        if exchange.fillsRange {
            return rangeFillReceivedHead(head, storable: storable, exchange: exchange)
        }
        return true
    }

    /// A URL the lookup found nothing at all for (no entry, no variant), whose response may not
    /// be stored for a reason of the response's own: the next requests for it on this event loop
    /// skip the lookup while the mark holds (`CachePassMemo`). Not under a `per_user` rule,
    /// where one user's absence says nothing of another's entry.
    private func rememberPass(_ exchange: CacheExchange, reason: CacheNotStoredReason) {
        guard reason.isAboutTheResponse, exchange.request.keyUser == nil, exchange.key == nil,
              case .forward(.uriMiss, _, _, _, _) = exchange.status, let context,
              let memo = exchange.cache.passMemo(on: context.eventLoop)
        else { return }
        memo.mark(exchange.request.target, now: NIODeadline.now().uptimeNanoseconds, storeCount: exchange.storeCount)
    }

    /// The body outgrew `max_object_size`: it streams on, unstored.
    func cacheAbandonedCapture(_ exchange: CacheExchange) {
        finishFlight(exchange, outcome: .notStored, pass: true)
        captureAbandoned()
    }

    /// The relayed response is complete: store what was captured. The entry made of it, if one
    /// was captured (stored unless its URL was invalidated while it was fetched).
    @discardableResult
    func cacheResponseEnded(_ exchange: CacheExchange, request: InFlightRequest) -> CacheEntry? {
        guard let plan = exchange.plan, let primary = exchange.primary, let context else {
            finishFlight(exchange, outcome: .notStored, pass: false)
            return nil
        }
        exchange.plan = nil
        let body = exchange.captured ?? context.channel.allocator.buffer(capacity: 0)
        exchange.captured = nil
        let entry = plan.entry(body: body)
        let key = CacheKey(primary: primary, varyNames: plan.varyNames, requestHeaders: request.varyHeaders)
        if exchange.cache.mayStore(key, fetchMark: exchange.fetchMark) {
            store(entry, under: key, retention: plan.retention, exchange: exchange)
            finishFlight(exchange, outcome: .stored(entry, key), pass: false)
        } else {
            // A write to the URL (or a purge) completed while this was fetched: what the origin
            // read may be what the write replaced. It answers this request only; followers (some
            // may have come after the write) fetch anew, one for all.
            finishFlight(exchange, outcome: .refetch, pass: false)
        }
        if let passKey = exchange.passKey {
            exchange.cache.flights.clearPass(passKey)
        }
        return entry
    }

    /// The fetch failed: followers go upstream themselves (no hit-for-pass: it may work next
    /// time), or, told `.failed`, serve their stale copies.
    func cacheFetchFailed(_ exchange: CacheExchange, outcome: CacheFlights.Outcome = .notStored) {
        exchange.plan = nil
        exchange.captured = nil
        finishFlight(exchange, outcome: outcome, pass: false)
    }

    private func finishFlight(_ exchange: CacheExchange, outcome: CacheFlights.Outcome, pass: Bool) {
        guard let key = exchange.leadsFlight else { return }
        exchange.leadsFlight = nil
        exchange.cache.flights.finish(key, outcome: outcome, pass: pass, now: .now())
    }

    private func store(_ entry: CacheEntry, under key: CacheKey, retention: Int64, exchange: CacheExchange) {
        guard let context else { return }
        exchange.cache.insert(
            entry, for: key, retention: retention, fetchMark: exchange.fetchMark, fetch: exchange.fetchStart, now: .now(),
            on: context.eventLoop
        )
    }

    /// Serves the stale entry after an upstream failure or 5xx, when stale-if-error allows.
    func serveStaleOnError(_ exchange: CacheExchange, request: InFlightRequest, upstreamStatus: UInt?) -> Bool {
        let now = CacheTime.now()
        guard let stale = exchange.staleEntry,
              exchange.cache.policy.state(of: stale, for: exchange.request, now: now).isServableOnError
        else { return false }
        // A revalidation's followers are told, and serve their copies without asking the failing origin.
        cacheFetchFailed(exchange, outcome: .failed(upstreamStatus: upstreamStatus))
        serveFromCache(stale, status: .staleIfError(ttl: stale.ttl(at: now), fwdStatus: upstreamStatus), request: request)
        return true
    }

    /// The absorbed upstream response ended: answer from the refreshed entry (304) or the stale one (5xx).
    func answerAbsorbed(_ head: HTTPResponseHead, exchange: CacheExchange, request: InFlightRequest) {
        exchange.absorbed = nil
        let now = CacheTime.now()
        guard head.status == .notModified, let stale = exchange.staleEntry, let key = exchange.key else {
            if !serveStaleOnError(exchange, request: request, upstreamStatus: head.status.code) {
                respondLocally(GatehouseError(.badGateway, "Upstream failed", source: .upstream), request: request, closeAfter: false)
            }
            return
        }
        let policy = exchange.cache.policy
        switch policy.refresh(stale, with: head, for: exchange.request, requestTime: exchange.requestTime, responseTime: now) {
        case .refreshed(let entry, let retention):
            store(entry, under: key, retention: retention, exchange: exchange)
            // As for a 200 (`cacheResponseEnded`): followers that came after a write to the URL
            // must not be answered with what the origin said before it.
            let refreshed = exchange.cache.mayStore(key, fetchMark: exchange.fetchMark)
            finishFlight(exchange, outcome: refreshed ? .refreshed(entry, key) : .refetch, pass: false)
            // Served before the store answers, as for a 200 (see `cacheReceivedHead`).
            let claimsStored = !exchange.cache.store.refusesStore(bodyLength: entry.storedBody.count, fetch: exchange.fetchStart)
            serveFromCache(entry, status: .forward(.stale, fwdStatus: 304, ttl: entry.ttl(at: now), stored: claimsStored), request: request)
        case .serveOnly(let entry, _):
            if let context { _ = exchange.cache.store.remove(key, on: context.eventLoop) }
            finishFlight(exchange, outcome: .notStored, pass: false)
            serveFromCache(entry, status: .forward(.stale, fwdStatus: 304), request: request)
        case .mismatch:
            // The 304 names another representation: fetch it afresh, unconditionally.
            if let context { _ = exchange.cache.store.remove(key, on: context.eventLoop) }
            exchange.staleEntry = nil
            exchange.revalidating = false
            // Sent again whole: a request here has no body (one with a body bypasses the cache).
            var head = request.upstreamHead
            for name in Self.clientConditionalFields { head?.headers.remove(name: name) }
            request.upstreamHead = head
            state = .connecting(request)
            connectUpstream(for: request, allowReuse: true)
        }
    }

    /// Answers from a stored entry: 304 when the client's own validators match, else the stored
    /// response with `Age`, `Cache-Status`, `Via` and the rate-limit fields.
    func serveFromCache(_ entry: CacheEntry, status: CacheStatus, request: InFlightRequest) {
        guard let exchange = request.cache else { return }
        exchange.status = status
        let now = CacheTime.now()
        let notModified = exchange.cache.policy.isNotModified(entry, requestHeaders: exchange.request.headers)
        if !notModified, exchange.request.hasRange, serveRange(of: entry, status: status, request: request, exchange: exchange, now: now) {
            return
        }
        var headers = HTTPHeaders()
        if notModified {
            headers = entry.notModifiedHeaders(at: now)
            RequestHeadRewriter.appendVia(to: &headers)
        }
        // The stored fields (with Via) are already encoded; Age is the one that changes.
        let encodedFields: (fields: ByteBuffer, age: Int64)? = notModified ? nil : (entry.servedFields, entry.currentAge(at: now))
        sendComplete(
            status: notModified ? .notModified : entry.status,
            encodedFields: encodedFields,
            headers: headers,
            cacheStatus: status,
            body: notModified ? nil : entry.storedBody,
            request: request,
            closeAfter: false
        )
    }

    /// Answers a range request from `entry`: 206 with the part, or 416 when the body holds none
    /// of it. False when the whole response is the answer (see `CachePolicy.rangeAnswer`).
    private func serveRange(of entry: CacheEntry, status: CacheStatus, request: InFlightRequest, exchange: CacheExchange, now: CacheTime) -> Bool {
        switch exchange.cache.policy.rangeAnswer(for: entry, requestHeaders: exchange.request.headers) {
        case .whole:
            return false
        case .partial(let range):
            var headers = entry.partialHeaders(range, at: now)
            RequestHeadRewriter.appendVia(to: &headers)
            sendComplete(
                status: .partialContent, headers: headers, cacheStatus: status,
                body: entry.storedBody, bodyRange: range, request: request, closeAfter: false
            )
        case .unsatisfiable:
            let error = GatehouseError(
                .rangeNotSatisfiable, "The requested range is outside the response",
                details: [["length": .int(entry.storedBody.count)]]
            )
            respondLocally(
                error, request: request, closeAfter: false, extraHeaders: ["Content-Range": entry.unsatisfiedRange],
                cacheStatus: status
            )
        }
        return true
    }

    /// A successful write invalidates its URLs and namespaces; completes when they are gone
    /// (at once for the memory store, after a round trip for Redis). Nil when nothing is invalidated.
    func invalidateAfterWrite(_ head: HTTPResponseHead, request: InFlightRequest) -> EventLoopFuture<Int>? {
        guard let cache = request.runtime.cache,
              let invalidation = cache.policy.invalidation(
                  for: request.head, forwarded: request.forwardedOrigin, path: Self.rulePath(of: request, policy: cache.policy),
                  response: head
              )
        else { return nil }
        return invalidate(invalidation, in: cache)
    }

    /// A write that went upstream ends without its response head (its client left, the origin
    /// timed out or closed): it may have been carried out, so what a success would invalidate
    /// goes (bar `Location`, never seen). Otherwise a read after it could get, until its TTL,
    /// what the write replaced. Nothing for safe methods, nor once the head came (it decided).
    func invalidateUnansweredWrite(_ request: InFlightRequest) {
        guard !request.responseStarted, let cache = request.runtime.cache,
              let invalidation = cache.policy.invalidation(
                  forUnanswered: request.head, forwarded: request.forwardedOrigin, path: Self.rulePath(of: request, policy: cache.policy)
              )
        else { return }
        _ = invalidate(invalidation, in: cache)
    }

    private func invalidate(_ invalidation: CacheInvalidation, in cache: ResponseCache) -> EventLoopFuture<Int>? {
        guard let context else { return nil }
        let invalidated = cache.invalidate(invalidation, on: context.eventLoop)
        let counter = serverState.metrics.counter(GatehouseMetrics.Name.cacheInvalidations, ["reason": "write"])
        counter.increment(by: Int64(invalidation.targets.count + invalidation.namespaces.count))
        return invalidated
    }
}
