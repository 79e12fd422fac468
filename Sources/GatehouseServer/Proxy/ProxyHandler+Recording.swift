// ProxyHandler+Recording: each request's metrics and access-log line, written once whatever ended it.
import GatehouseCore
import NIOCore

extension ProxyHandler {
    /// Writes the request's metrics and access-log line, once, whatever ended it.
    /// A client that left before its response is logged as 499 (nginx's convention).
    func record(_ request: InFlightRequest, clientClosed: Bool = false) {
        guard !request.recorded else { return }
        request.recorded = true
        recorder.requestEnded()
        let status = clientClosed && !request.responseStarted ? 499 : request.status
        let duration = NIODeadline.now() - request.startedAt
        let method = request.head.method.rawValue
        let cacheLabel = request.effectiveCacheStatus.lookupResult
        // A request refused before the cache stage was no lookup: counted as a bypass it skewed
        // the hit ratio. It keeps `cache="bypass"` in `gatehouse_requests_total`.
        if request.runtime.cache != nil, request.reachedCacheStage {
            recorder.cacheLookup(result: cacheLabel)
        }
        recorder.requestCompleted(method: method, code: status, cache: cacheLabel, duration: duration)
        let accessLog = request.runtime.accessLog
        guard accessLog.isEnabled else { return }
        accessLog.log(AccessLogEntry(
            time: request.startedAtWallClock,
            client: request.clientIP?.description ?? peerAddress,
            user: request.user.map { loggedUserName.name(of: $0) },
            method: method,
            path: request.head.uri,
            status: status,
            bytes: request.responseBytes,
            durationSeconds: Double(duration.nanoseconds) / 1_000_000_000,
            cache: cacheLabel,
            rateLimit: request.rateLimitDecision,
            upstream: request.upstreamServer,
            requestID: request.requestID
        ))
    }

    /// A refusal before a request head was complete (malformed bytes, header timeout). Its
    /// `bytes` are the JSON body `ConnectionGuard.refuse` sends (they were logged as 0); its
    /// method and target are logged when the parser had read the request line.
    func recordRefusal(_ error: GatehouseError) {
        RefusalRecord.record(
            error, client: peerAddress, requestID: requestIDs.generate(),
            recorder: recorder, accessLog: serverState.runtime.accessLog, requestLine: requestParser.refusedRequestLine
        )
    }
}
