// CacheEntryState: what may be done with a stored entry at a given moment.

/// The verdict of `CachePolicy.state(of:for:now:)`.
public enum CacheEntryState: Sendable, Equatable {
    /// Serve it; `ttlRemaining` seconds of freshness are left (at least 1).
    case fresh(ttlRemaining: Int64)
    /// Serve it stale and refresh it once in the background.
    case staleWhileRevalidate
    /// Go upstream (conditionally when it has validators); serve it only if that fails or
    /// answers 5xx.
    case staleIfErrorOnly
    /// Go upstream conditionally; serve it only after a 304 — never as a fallback.
    case mustRevalidate
    /// Past every window: a miss (its validators may still make the upstream request conditional).
    case expired

    /// Whether the entry may answer the client when the upstream fails or answers 5xx.
    public var isServableOnError: Bool {
        switch self {
        case .fresh, .staleWhileRevalidate, .staleIfErrorOnly: return true
        case .mustRevalidate, .expired: return false
        }
    }
}
