// CacheRequestDecision: whether a request goes through the cache, and if so as what.

/// The request-side verdict of `CachePolicy.classify`.
public enum CacheRequestDecision: Sendable {
    /// Forward without looking up or storing.
    case bypass(CacheBypassReason)
    /// Look up (and store on a miss) for this request.
    case cacheable(CacheableRequest)
}
