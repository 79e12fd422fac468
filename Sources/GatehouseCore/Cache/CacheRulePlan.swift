// CacheRulePlan: the cache rules, built once per config, answering which rule a path falls under.

/// Rule lookup for requests and namespace lookup for writes. Prefixes match the normalised path
/// (`NormalizedPath`, query excluded) with a plain string prefix, as the config checker assumes,
/// and as rate-limit policies do: `//api/users` falls under an `/api/` rule's ttl, `per_user` and
/// namespace, and a write to it bumps what `invalidated_by: [/api/]` names, as the origin sees
/// `/api/users` in both. Keys still carry the raw target.
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

    /// True when there are no rules: no request needs its path normalised for them.
    public var isEmpty: Bool { rules.isEmpty }

    /// The first rule whose `path_prefix` starts `path`.
    public func rule(for path: NormalizedPath) -> CacheRule? {
        firstRule(for: path.value)
    }

    /// False when the two readings of a `%2F` in `path` fall under different rules (one under a
    /// `per_user` rule, say, the other under a shared one): which one the origin serves is
    /// unknown, so the request must neither use nor fill the cache.
    public func readingsAgree(on path: NormalizedPath) -> Bool {
        guard let other = path.dataSlashReading else { return true }
        return firstRule(for: path.value) == firstRule(for: other)
    }

    private func firstRule(for reading: Substring) -> CacheRule? {
        rules.first { reading.hasBytePrefix($0.pathPrefix) }
    }

    /// The namespaces a successful write to `path` bumps, each once, in rule order.
    public func namespacesInvalidated(byWriteTo path: NormalizedPath) -> [String] {
        var namespaces: [String] = []
        for entry in invalidations where path.hasPrefix(entry.prefix) && !namespaces.contains(entry.namespace) {
            namespaces.append(entry.namespace)
        }
        return namespaces
    }

    public static func == (lhs: CacheRulePlan, rhs: CacheRulePlan) -> Bool {
        lhs.rules == rhs.rules && lhs.invalidations.elementsEqual(rhs.invalidations, by: { $0 == $1 })
    }
}
