// CachePrimaryLookup: what a store holds under a primary key.

/// The answer to a first-level lookup.
public enum CachePrimaryLookup: Sendable, Equatable {
    /// Nothing stored for the URL (and user).
    case miss
    /// The one entry of a response without `Vary`.
    case entry(CacheEntry)
    /// The stored responses vary on these (normalised) request fields: look up the variant.
    case varies(on: [String])
}
