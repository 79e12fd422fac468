// RateLimitProbe: what the memory store's first look at one check found, kept for its commit.

/// Whether a check would admit, and where its key's entry sat when probed, so the commit (under the
/// same lock) changes that entry without hashing and looking the key up a second time.
struct RateLimitProbe {
    var admits: Bool
    /// Nil when the key was not tracked yet.
    var position: LRUMap<TrackedKey, TrackedWindow>.Position?
}
