// CachePolicy+Storage: whether a response may be stored, and its freshness (RFC 9111 §3, §4.2.1).
import NIOHTTP1

extension CachePolicy {
    /// Status codes cacheable without explicit freshness (RFC 9110 §15.1); the only ones stored.
    public static let heuristicallyCacheableStatuses: Set<UInt> = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]

    /// Fields that describe one exchange rather than the representation, so a stored copy must
    /// not repeat them: `Age` (recomputed on each hit), the request id and the rate-limit state
    /// of the client that happened to fill the cache.
    public static let perResponseFields = ["age", RequestID.headerName, "ratelimit", "ratelimit-policy"]

    /// Whether the response to `request` may be stored, judged on its head alone.
    /// `requestTime` is when the request went upstream, `responseTime` when the head arrived.
    public func storageDecision(
        for response: HTTPResponseHead,
        to request: CacheableRequest,
        requestTime: CacheTime,
        responseTime: CacheTime
    ) -> CacheStorageDecision {
        guard !request.isHEAD else {
            return .doNotStore(.method)
        }
        return storageDecision(
            status: response.status,
            headers: response.headers,
            request: request,
            requestTime: requestTime,
            responseTime: responseTime
        )
    }

    func storageDecision(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        request: CacheableRequest,
        requestTime: CacheTime,
        responseTime: CacheTime
    ) -> CacheStorageDecision {
        guard Self.heuristicallyCacheableStatuses.contains(status.code) else {
            return .doNotStore(.status)
        }
        let directives = CacheControl(headers: headers)
        if directives.noStore {
            return .doNotStore(.noStore)
        }
        if directives.isPrivate {
            return .doNotStore(.private)
        }
        if headers.contains(name: "set-cookie") {
            return .doNotStore(.setCookie)
        }
        guard let varyNames = CacheKey.varyNames(of: headers) else {
            return .doNotStore(.varyStar)
        }
        let sharedByOrigin = directives.isPublic || directives.sMaxAge != nil || directives.mustRevalidate
        if request.hasAuthorization && !sharedByOrigin && !request.isKeyedByUser {
            return .doNotStore(.authorization)
        }
        if let length = headers.first(name: "content-length").flatMap({ Int($0) }), length > maxObjectSize {
            return .doNotStore(.tooLarge)
        }
        let dateValue = headers.first(name: "date").flatMap { HTTPDate.parse($0, now: responseTime) }
        guard let lifetime = freshnessLifetime(directives, headers, dateValue: dateValue, responseTime: responseTime, rule: request.rule) else {
            return .doNotStore(.noFreshness)
        }
        let allowsStale = !(directives.mustRevalidate || directives.proxyRevalidate || directives.sMaxAge != nil || directives.noCache)
        let freshness = CacheFreshness(
            lifetime: lifetime,
            staleWhileRevalidate: allowsStale ? directives.staleWhileRevalidate ?? staleWhileRevalidate : 0,
            staleIfError: allowsStale ? directives.staleIfError ?? staleIfError : 0,
            alwaysRevalidate: directives.noCache
        )
        let ageValue = headers.first(name: "age").flatMap { CacheControl.deltaSeconds($0.trimmingOWS()) } ?? 0
        var stored = headers
        HopByHopHeaders.remove(from: &stored)
        for name in Self.perResponseFields {
            stored.remove(name: name)
        }
        if dateValue == nil && !stored.contains(name: "date") {
            // A response without Date is stored with its receipt time (RFC 9110 §6.6.1), so
            // hits and 304s made from it carry one.
            stored.add(name: "Date", value: HTTPDate.format(responseTime))
        }
        let plan = CacheStoragePlan(
            status: status,
            headers: stored,
            varyNames: varyNames,
            freshness: freshness,
            initialAge: CacheAge.correctedInitialAge(
                ageValue: ageValue,
                dateValue: dateValue,
                requestTime: requestTime,
                responseTime: responseTime
            ),
            responseTime: responseTime
        )
        guard plan.retention > 0 else {
            return .doNotStore(.noFreshness)
        }
        return .store(plan)
    }

    /// `s-maxage`, then `max-age`, then `Expires − Date` (an invalid `Expires` is in the past),
    /// then the rule's `ttl`, then `default_ttl`. Nil when only a zero default is left.
    private func freshnessLifetime(
        _ directives: CacheControl,
        _ headers: HTTPHeaders,
        dateValue: CacheTime?,
        responseTime: CacheTime,
        rule: CacheRule?
    ) -> Int64? {
        if let sMaxAge = directives.sMaxAge {
            return sMaxAge
        }
        if let maxAge = directives.maxAge {
            return maxAge
        }
        if let expiresText = headers.first(name: "expires") {
            guard let expires = HTTPDate.parse(expiresText, now: responseTime) else { return 0 }
            return min(max(0, expires - (dateValue ?? responseTime)), CacheControl.deltaSecondsLimit)
        }
        let configured = rule?.ttl ?? defaultTTL
        return configured > 0 ? configured : nil
    }
}
