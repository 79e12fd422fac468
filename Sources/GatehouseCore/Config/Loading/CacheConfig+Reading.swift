// CacheConfig+Reading: reads and checks the `cache:` section and its rules.

extension CacheConfig {
    static let keys = [
        "store", "version", "memory_budget", "max_object_size", "default_ttl", "stale_while_revalidate",
        "stale_if_error", "rules",
    ]

    /// - Parameter noUsersReason: set when no request can carry a user, so `per_user` is an error.
    init(reading section: ConfigMapping, noUsersReason: String?) {
        self.init()
        if let value = section["store"]?.choice([CacheStoreKind.memory, .redis, .off]) { store = value }
        if let node = section["version"] {
            version = node.parse("a version string") { text throws(InvalidValue) in
                guard !text.isEmpty, !CharacterRules.hasWhitespaceOrControl(text) else {
                    throw InvalidValue("must be a non-empty string without spaces, e.g. \"1\"")
                }
                return text
            } ?? version
        }
        if let value = section["memory_budget"]?.size(in: 0...Int.max) { memoryBudget = value }
        if let value = section["max_object_size"]?.size(in: 0...Int.max) { maxObjectSize = value }
        if let value = section["default_ttl"]?.duration() { defaultTTL = value }
        if let value = section["stale_while_revalidate"]?.duration() { staleWhileRevalidate = value }
        if let value = section["stale_if_error"]?.duration() { staleIfError = value }
        if store == .memory && maxObjectSize > memoryBudget {
            let path = section.reader.wasWritten(section.childPath("max_object_size"))
                ? section.childPath("max_object_size") : section.childPath("memory_budget")
            section.reader.report(
                "max_object_size (\(ByteSizeSyntax.format(maxObjectSize))) is larger than memory_budget (\(ByteSizeSyntax.format(memoryBudget))); no such object could be stored",
                about: path
            )
        }
        if let items = section["rules"]?.list() {
            rules = items.compactMap { item in
                item.mapping(keys: CacheRuleConfig.keys).flatMap { CacheRuleConfig(reading: $0, noUsersReason: noUsersReason) }
            }
            CacheConfig.checkReachable(rules, items: items)
        }
    }

    /// The first matching rule applies, so a rule behind a shorter (or equal) prefix never does.
    private static func checkReachable(_ rules: [CacheRuleConfig], items: [ConfigNode]) {
        guard rules.count == items.count else { return }
        for (index, rule) in rules.enumerated() {
            guard let earlier = rules[..<index].firstIndex(where: { rule.pathPrefix.hasPrefix($0.pathPrefix) }) else { continue }
            let item = items[index]
            item.reader.report(
                "never applies: \(items[earlier].path) (\(ConfigText.quoted(rules[earlier].pathPrefix))) matches every path it does and comes first",
                about: "\(item.path).path_prefix"
            )
        }
    }
}
