// CacheRuleConfig+Reading: reads and checks one `cache.rules` entry.

extension CacheRuleConfig {
    static let keys = ["path_prefix", "ttl", "namespace", "invalidated_by", "per_user"]

    /// nil when `path_prefix` is missing or wrong (the problem is reported).
    init?(reading section: ConfigMapping, noUsersReason: String?) {
        let pathPrefix = section.required("path_prefix", "the request paths this rule covers, e.g. path_prefix: /api/users")?
            .parse("a path starting with \"/\"", PathPrefixSyntax.parse)
        let ttl = section["ttl"]?.duration()
        var namespace: String?
        if let node = section["namespace"] {
            namespace = node.parse("a namespace name") { text throws(InvalidValue) in
                guard CharacterRules.isName(text) else {
                    throw InvalidValue("\(ConfigText.quoted(text)) is not a valid namespace name; use letters, digits, \"_\", \".\" and \"-\"")
                }
                return text
            }
        }
        var invalidatedBy: [String] = []
        if let node = section["invalidated_by"], let items = node.list() {
            invalidatedBy = items.compactMap { $0.parse("a path starting with \"/\"", PathPrefixSyntax.parse) }
            if section["namespace"] == nil && !items.isEmpty {
                node.report("invalidated_by needs a namespace: the rule's entries are dropped by bumping its namespace")
            }
        }
        let perUser = section["per_user"]?.bool()
        if perUser == true, let noUsersReason {
            section["per_user"]?.report("true needs users, but \(noUsersReason)")
        }
        guard let pathPrefix else { return nil }
        self.init(pathPrefix: pathPrefix)
        self.ttl = ttl
        self.namespace = namespace
        self.invalidatedBy = invalidatedBy
        self.perUser = perUser ?? false
    }
}
