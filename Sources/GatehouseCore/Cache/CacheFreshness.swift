// CacheFreshness: how long a stored response is fresh, and how long it may be served stale.

/// Decided once, when a response is stored, from its headers, the rule and the config; kept
/// with the entry so every instance sharing a store judges it the same way.
public struct CacheFreshness: Sendable, Equatable {
    /// Freshness lifetime in seconds (RFC 9111 §4.2.1).
    public var lifetime: Int64
    /// Seconds past the lifetime it may be served while one refresh runs; 0 when stale
    /// serving is forbidden (`must-revalidate`, `proxy-revalidate`, `s-maxage`, `no-cache`).
    public var staleWhileRevalidate: Int64
    /// Seconds past the lifetime it may be served when the upstream fails or answers 5xx.
    public var staleIfError: Int64
    /// `no-cache`: every use needs a successful revalidation first.
    public var alwaysRevalidate: Bool

    public init(lifetime: Int64, staleWhileRevalidate: Int64 = 0, staleIfError: Int64 = 0, alwaysRevalidate: Bool = false) {
        self.lifetime = lifetime
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.alwaysRevalidate = alwaysRevalidate
    }

    /// How long the store keeps the entry: its lifetime plus the longer stale window.
    /// Saturating, like `CacheAge`: an entry read from Redis may hold any non-negative numbers.
    public var retention: Int64 {
        let (sum, overflow) = lifetime.addingReportingOverflow(max(staleWhileRevalidate, staleIfError))
        return overflow ? .max : sum
    }
}
