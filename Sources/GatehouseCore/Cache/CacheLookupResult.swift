// CacheLookupResult: the outcome of a full two-level cache lookup for a request.

/// The answer to `CacheStore.find`.
public enum CacheLookupResult: Sendable, Equatable {
    /// Nothing stored for the URL: `fwd=uri-miss`.
    case uriMiss
    /// The URL has variants, none for this request's Vary values: `fwd=vary-miss`.
    case varyMiss(CacheKey)
    /// The stored entry and the key it lives under.
    case hit(CacheEntry, CacheKey)

    public var entry: CacheEntry? {
        if case .hit(let entry, _) = self { return entry }
        return nil
    }
}
