// CacheRule: one `cache.rules` entry in the form the data path uses (whole seconds, no config types).

/// What a matching rule changes for a request: a default freshness, a namespace whose version
/// is part of the key, and whether the key includes the user.
public struct CacheRule: Sendable, Equatable {
    public var pathPrefix: String
    /// Freshness when the response gives none; overrides `default_ttl`.
    public var ttl: Int64?
    public var namespace: String?
    public var perUser: Bool

    public init(pathPrefix: String, ttl: Int64? = nil, namespace: String? = nil, perUser: Bool = false) {
        self.pathPrefix = pathPrefix
        self.ttl = ttl
        self.namespace = namespace
        self.perUser = perUser
    }

    init(_ config: CacheRuleConfig) {
        self.init(
            pathPrefix: config.pathPrefix,
            ttl: config.ttl.map(Self.wholeSeconds),
            namespace: config.namespace,
            perUser: config.perUser
        )
    }

    /// Rounded up, so `500ms` means one second rather than "no freshness".
    static func wholeSeconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return attoseconds > 0 ? seconds + 1 : seconds
    }
}
