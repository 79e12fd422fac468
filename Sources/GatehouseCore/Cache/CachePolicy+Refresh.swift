// CachePolicy+Refresh: merging a 304 from the upstream into the stored entry (RFC 9111 §3.2, §4.3.4).
import NIOHTTP1

extension CachePolicy {
    /// `entry` updated by the 304 that answered its revalidation: the 304's fields replace the
    /// stored ones, except those the stored body depends on (`Content-Length`, `Content-Encoding`,
    /// `Content-Range`), the key depends on (`Vary`), or that must never be shared
    /// (`Set-Cookie`); then freshness and age are computed afresh from the merged response. A 304
    /// without `Date` brings `Date: responseTime`.
    public func refresh(
        _ entry: CacheEntry,
        with notModified: HTTPResponseHead,
        for request: CacheableRequest,
        requestTime: CacheTime,
        responseTime: CacheTime
    ) -> CacheRefreshResult {
        var update = notModified.headers
        HopByHopHeaders.remove(from: &update)
        if !update.contains(name: "date") {
            // A 304 without Date counts as generated when it arrived (RFC 9110 §6.6.1); keeping
            // the stored Date would judge the refreshed entry by its old apparent age, stale for ever.
            update.add(name: "Date", value: HTTPDate.format(responseTime))
        }
        guard validatorsAgree(entry, update) else {
            return .mismatch
        }
        var merged = entry.headers
        var replaced: Set<String> = []
        for (name, value) in update {
            let lowered = name.lowercased()
            guard !Self.fieldsKeptOnRefresh.contains(lowered), !Self.perResponseFields.contains(lowered) else { continue }
            if replaced.insert(lowered).inserted {
                merged.remove(name: lowered)
            }
            merged.add(name: name, value: value)
        }
        var judged = merged
        for age in update["age"] {
            judged.add(name: "Age", value: age)
        }
        var refreshRequest = request
        refreshRequest.isHEAD = false
        switch storageDecision(status: entry.status, headers: judged, request: refreshRequest, requestTime: requestTime, responseTime: responseTime) {
        case .store(let plan):
            return .refreshed(plan.entry(storedBody: entry.storedBody), retention: plan.retention)
        case .doNotStore(let reason):
            var served = entry
            served.headers = merged
            served.responseTime = responseTime
            served.initialAge = 0
            return .serveOnly(served, reason)
        }
    }

    /// A 304 applies to the stored entry only when the validators it carries name it.
    private func validatorsAgree(_ entry: CacheEntry, _ update: HTTPHeaders) -> Bool {
        if let newTag = update.first(name: "etag").flatMap({ EntityTag(parsing: $0) }) {
            guard let storedTag = entry.etag else { return false }
            return newTag.weaklyMatches(storedTag)
        }
        if let newModified = update.first(name: "last-modified"), let storedModified = entry.lastModified {
            let now = entry.responseTime
            return HTTPDate.parse(newModified, now: now) == HTTPDate.parse(storedModified, now: now)
        }
        return true
    }

    static let fieldsKeptOnRefresh: Set<String> = [
        "content-length", "content-encoding", "content-range", "transfer-encoding", "vary", "set-cookie", "age",
    ]
}
