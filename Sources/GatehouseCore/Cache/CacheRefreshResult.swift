// CacheRefreshResult: a stored entry after a 304 from the upstream (RFC 9111 §4.3.4).

/// The verdict of `CachePolicy.refresh`.
public enum CacheRefreshResult: Sendable, Equatable {
    /// The 304's fields merged in and its freshness recomputed: serve it and store it again
    /// for `retention` seconds.
    case refreshed(CacheEntry, retention: Int64)
    /// Merged, but the merged response may no longer be stored (e.g. the 304 says `no-store`):
    /// serve it to this client, and remove the stored entry.
    case serveOnly(CacheEntry, CacheNotStoredReason)
    /// The 304 names another representation: neither serve nor keep the entry; fetch again
    /// without conditions.
    case mismatch
}
