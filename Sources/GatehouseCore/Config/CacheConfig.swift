// CacheConfig: the `cache:` section — store, budget, freshness defaults and per-path rules.

/// The `cache:` section of proxy.conf.
public struct CacheConfig: Sendable, Equatable {
    public var store: CacheStoreKind = .memory
    /// Part of every key: changing it and reloading drops everything.
    public var version: String = "1"
    public var memoryBudget: Int = 256 * 1024 * 1024
    public var maxObjectSize: Int = 1024 * 1024
    /// Freshness when neither the response nor a rule gives one; zero = don't store.
    public var defaultTTL: Duration = .zero
    public var staleWhileRevalidate: Duration = .seconds(10)
    public var staleIfError: Duration = .seconds(300)
    public var rules: [CacheRuleConfig] = []

    public init() {}
}

/// Where cached responses live.
public enum CacheStoreKind: String, Sendable, Equatable {
    case memory
    case redis
    case off
}

/// One entry of `cache.rules`; the first whose prefix matches applies.
public struct CacheRuleConfig: Sendable, Equatable {
    public var pathPrefix: String
    /// Overrides `default_ttl`; Cache-Control from the upstream still wins.
    public var ttl: Duration?
    public var namespace: String?
    /// A successful write under any of these prefixes bumps the namespace's version.
    public var invalidatedBy: [String] = []
    /// The key includes the user, so private data is cached per user.
    public var perUser: Bool = false

    public init(pathPrefix: String) {
        self.pathPrefix = pathPrefix
    }
}
