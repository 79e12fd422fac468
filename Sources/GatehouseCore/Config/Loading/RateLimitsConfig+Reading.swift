// RateLimitsConfig+Reading: reads and checks the `rate_limits:` section and its policies.

extension RateLimitsConfig {
    static let keys = ["store", "on_store_error", "max_tracked_keys", "policies"]

    /// - Parameter noUsersReason: set when no request can carry a user, so `key: user` is an error.
    init(reading section: ConfigMapping, noUsersReason: String?) {
        self.init()
        if let value = section["store"]?.choice([StoreKind.memory, .redis]) { store = value }
        if let value = section["on_store_error"]?.choice([StoreErrorMode.allow, .deny]) { onStoreError = value }
        if let value = section["max_tracked_keys"]?.integer(in: 1...Int.max) { maxTrackedKeys = value }
        guard let items = section["policies"]?.list() else { return }
        var namesSeen: [String: String] = [:]
        for item in items {
            guard let policySection = item.mapping(keys: RateLimitPolicyConfig.keys),
                  let policy = RateLimitPolicyConfig(reading: policySection, noUsersReason: noUsersReason) else { continue }
            if let first = namesSeen[policy.name] {
                section.reader.report(
                    "\(ConfigText.quoted(policy.name)) is already the name of \(first); policy names must be unique",
                    about: policySection.childPath("name")
                )
                continue
            }
            namesSeen[policy.name] = policySection.path
            policies.append(policy)
        }
    }
}
