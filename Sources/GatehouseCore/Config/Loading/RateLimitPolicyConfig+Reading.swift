// RateLimitPolicyConfig+Reading: reads and checks one `rate_limits.policies` entry.

extension RateLimitPolicyConfig {
    static let keys = ["name", "key", "limit", "window", "ipv6_prefix", "match"]

    /// nil when a required key is missing or wrong (the problem is reported).
    init?(reading section: ConfigMapping, noUsersReason: String?) {
        let name = section.required("name", "name the policy, e.g. name: per-ip")?.parse("a policy name") { text throws(InvalidValue) in
            guard CharacterRules.isName(text) else {
                throw InvalidValue("\(ConfigText.quoted(text)) is not a valid policy name; use letters, digits, \"_\", \".\" and \"-\"")
            }
            return text
        }
        let keyNode = section.required("key", "one of ip, user or header:NAME")
        let key = keyNode?.parse("ip, user or header:NAME", RateLimitKey.init(configText:))
        if key == .user, let noUsersReason {
            keyNode?.report("user never matches: \(noUsersReason)")
        }
        let limit = section.required("limit", "the requests admitted per window, e.g. limit: 100")?.integer(in: 1...Int.max)
        let window = section.required("window", "the window length, e.g. window: 1m")?.windowDuration()
        var ipv6Prefix = 64
        if let node = section["ipv6_prefix"] {
            ipv6Prefix = node.integer(in: 1...128) ?? ipv6Prefix
            if let key, key != .ip {
                node.report("only applies to key: ip")
            }
        }
        var match: RequestMatch?
        if let node = section["match"], let matchSection = node.mapping(keys: RequestMatch.keys) {
            let written = RequestMatch(reading: matchSection)
            // `match: {}` narrows nothing; nil is how the model says "every request".
            match = written == RequestMatch() ? nil : written
        }
        guard let name, let key, let limit, let window else { return nil }
        self.init(name: name, key: key, limit: limit, window: window)
        self.ipv6Prefix = ipv6Prefix
        self.match = match
    }
}

private extension ConfigNode {
    /// At least one second, in whole seconds: RateLimit headers state the window in seconds.
    func windowDuration() -> Duration? {
        guard let window = duration(minimum: .seconds(1)) else { return nil }
        guard window.components.attoseconds == 0 else {
            report("must be a whole number of seconds, got \(scalarText ?? "")")
            return nil
        }
        return window
    }
}
