// CacheInvalidation: what a successful write drops from the cache (RFC 9111 §4.4 plus namespaces).

/// The URLs to purge and the namespaces to bump after an unsafe request succeeded. Purge the
/// URLs first (their keys carry the current namespace version), then bump.
public struct CacheInvalidation: Sendable, Equatable {
    /// The target URI, then same-host `Location` and `Content-Location` targets, each once.
    public var targets: [CacheTarget]
    /// Every namespace whose `invalidated_by` prefix matches the request's path.
    public var namespaces: [String]

    public init(targets: [CacheTarget], namespaces: [String]) {
        self.targets = targets
        self.namespaces = namespaces
    }
}
