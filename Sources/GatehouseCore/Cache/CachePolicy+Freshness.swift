// CachePolicy+Freshness: what may be done with a stored entry at a given moment (RFC 9111 §4.2, RFC 5861).

extension CachePolicy {
    /// The state of `entry` at `now` for `request` (nil for a background sweep). The client's
    /// `no-cache`/`max-age` and the response's `no-cache` force revalidation; otherwise the
    /// entry is fresh until its lifetime, then within its stale-while-revalidate window, then
    /// within its stale-if-error window, then expired.
    public func state(of entry: CacheEntry, for request: CacheableRequest?, now: CacheTime) -> CacheEntryState {
        let age = entry.currentAge(at: now)
        if entry.freshness.alwaysRevalidate || request?.forcesRevalidation == true {
            return .mustRevalidate
        }
        if let maxAge = request?.maxAge, age > maxAge {
            return .mustRevalidate
        }
        let remaining = entry.freshness.lifetime - age
        if remaining > 0 {
            return .fresh(ttlRemaining: remaining)
        }
        let staleness = -remaining
        if staleness < entry.freshness.staleWhileRevalidate {
            return .staleWhileRevalidate
        }
        if staleness < entry.freshness.staleIfError {
            return .staleIfErrorOnly
        }
        return .expired
    }
}
