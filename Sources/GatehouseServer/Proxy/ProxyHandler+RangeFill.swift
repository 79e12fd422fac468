// ProxyHandler+RangeFill: a range request's miss (or stale entry) fetches the whole response for the cache and is answered its part from the entry.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Media players and PDF viewers ask for ranges (`bytes=0-` first, then wherever the user
/// seeks), often never for the whole: if their misses went upstream with `Range`, such URLs
/// would never be stored. So a range request that leads a miss goes upstream without `Range`
/// and `If-Range`, as nginx's and Varnish's caches do; its response is withheld from the client
/// and, once stored, the client's part is cut from the entry (206, or 416, or the whole 200
/// where `Range` doesn't apply). Unlike nginx, the cache does not turn a small range into a
/// whole download of something it won't keep: when the response turns out unstorable (too
/// large by its `Content-Length` or as it streams, `no-store`, …) the fetch is dropped and the
/// request sent again as it came, and the URL's hit-for-pass mark then sends the next range
/// requests for it straight upstream. A range request that finds a stale entry revalidates it
/// the same way (`forwardStale` in `ProxyHandler+Cache`): a 304, or a 5xx within
/// stale-if-error, is absorbed as for any request, and the part is cut from the entry that results.
extension ProxyHandler {
    /// Takes the range off the upstream head of a miss it leads, or of a stale entry's refresh.
    func startRangeFill(request: InFlightRequest, exchange: CacheExchange) {
        guard var head = request.upstreamHead else { return }
        head.headers.remove(name: "range")
        head.headers.remove(name: "if-range")
        request.upstreamHead = head
        exchange.fillsRange = true
    }

    /// The fill's response head: withheld when it will be stored (false: not relayed); a 200
    /// that won't be is fetched again as the part; anything else goes to the client as it is
    /// (a 404 or a 5xx is the answer to a part as much as to the whole).
    func rangeFillReceivedHead(_ head: HTTPResponseHead, storable: Bool, exchange: CacheExchange) -> Bool {
        if storable {
            return false
        }
        exchange.fillsRange = false
        guard head.status == .ok else { return true }
        refetchPart(exchange: exchange)
        return false
    }

    /// A body part of the withheld response: captured for the entry, never relayed.
    func rangeFillReceivedBody(_ buffer: ByteBuffer, exchange: CacheExchange) {
        guard !exchange.capture(buffer) else { return }
        // Past `max_object_size` (a body without a length says so only now): not stored after all.
        cacheAbandonedCapture(exchange)
        exchange.fillsRange = false
        if case .forward(let reason, let fwdStatus, let ttl, _, let collapsed) = exchange.status {
            exchange.status = .forward(reason, fwdStatus: fwdStatus, ttl: ttl, stored: false, collapsed: collapsed)
        }
        refetchPart(exchange: exchange)
    }

    /// The withheld response ended: stored, it answers the client's range.
    func rangeFillEnded(exchange: CacheExchange, request: InFlightRequest) {
        exchange.fillsRange = false
        guard let entry = cacheResponseEnded(exchange, request: request) else {
            respondLocally(GatehouseError(.badGateway, "Upstream failed", source: .upstream), request: request, closeAfter: false)
            return
        }
        serveFromCache(entry, status: exchange.status, request: request)
    }

    /// Drops the fetch of the whole (its connection, mid-response, can't be reused) and sends
    /// the request again as the client sent it, `Range` and conditionals included.
    private func refetchPart(exchange: CacheExchange) {
        guard case .forwarding(let request, let upstream) = state else { return }
        upstream.close()
        request.upstreamHead = nil
        state = .connecting(request)
        forwardPart(request: request, exchange: exchange)
    }
}
