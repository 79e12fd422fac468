// CacheForwardReason: the `fwd` parameter of Cache-Status (RFC 9211 §2.2).

/// Why a request went forward to the upstream.
public enum CacheForwardReason: String, Sendable, Equatable {
    /// The cache was configured not to handle it.
    case bypass
    /// Its method is not cacheable.
    case method
    /// Nothing was stored for its URI.
    case uriMiss = "uri-miss"
    /// Something was stored for its URI, but not for its Vary values.
    case varyMiss = "vary-miss"
    /// Nothing usable was stored (when the two kinds of miss are not told apart).
    case miss
    /// The client's directives (`no-cache`, `max-age`) forced it.
    case request
    /// The stored response was stale and needed revalidation.
    case stale
}
