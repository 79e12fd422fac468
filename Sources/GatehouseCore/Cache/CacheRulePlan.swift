// CacheRulePlan: the cache rules, built once per config, answering which rule a path falls under.

/// Rule lookup for requests and namespace lookup for writes. Prefixes match the raw path
/// (query excluded) with a plain string prefix, as the config checker assumes.
public struct CacheRulePlan: Sendable, Equatable {
    public let rules: [CacheRule]
    private let invalidations: [(prefix: String, namespace: String)]

    public init(rules: [CacheRule], invalidatedBy: [(namespace: String, prefixes: [String])] = []) {
        self.rules = rules
        self.invalidations = invalidatedBy.flatMap { entry in entry.prefixes.map { ($0, entry.namespace) } }
    }

    public init(config: CacheConfig) {
        self.init(
            rules: config.rules.map(CacheRule.init),
            invalidatedBy: config.rules.compactMap { rule in rule.namespace.map { ($0, rule.invalidatedBy) } }
        )
    }

    /// The first rule whose `path_prefix` starts `path`.
    public func rule(forPath path: some StringProtocol) -> CacheRule? {
        rules.first { path.hasBytePrefix($0.pathPrefix) }
    }

    /// The namespaces a successful write to `path` bumps, each once, in rule order.
    public func namespacesInvalidated(byWriteTo path: some StringProtocol) -> [String] {
        var namespaces: [String] = []
        for entry in invalidations where path.hasBytePrefix(entry.prefix) && !namespaces.contains(entry.namespace) {
            namespaces.append(entry.namespace)
        }
        return namespaces
    }

    public static func == (lhs: CacheRulePlan, rhs: CacheRulePlan) -> Bool {
        lhs.rules == rhs.rules && lhs.invalidations.elementsEqual(rhs.invalidations, by: { $0 == $1 })
    }
}
