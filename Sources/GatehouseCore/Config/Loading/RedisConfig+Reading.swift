// RedisConfig+Reading: reads and checks the `redis:` section.

extension RedisConfig {
    static let keys = ["url", "pool_size", "timeout", "key_prefix"]

    init(reading section: ConfigMapping) {
        self.init()
        if let value = section["url"]?.parse("a redis:// or unix:// URL", RedisEndpoint.init(configText:)) {
            url = value
        }
        if let value = section["pool_size"]?.integer(in: 1...256) { poolSize = value }
        if let value = section["timeout"]?.duration(positive: true, maximum: RedisConfig.longestTimeout) { timeout = value }
        if let node = section["key_prefix"] {
            // An empty prefix is allowed (a Redis of its own); written as nothing it means that too.
            if node.isNull {
                keyPrefix = ""
            } else if let text = node.text("a string") {
                if CharacterRules.hasWhitespaceOrControl(text) {
                    node.report("\(ConfigText.quoted(text)) must not contain spaces or control characters")
                } else if text.contains("{") || text.contains("}") {
                    // Every key of one URL shares the URL's hash tag; a brace here would replace it.
                    node.report("\(ConfigText.quoted(text)) must not contain \"{\" or \"}\" (Redis Cluster reads them as a hash tag)")
                } else if text.hasPrefix("#") {
                    // A purge would take each entry key for a slot marker and delete the wrong key.
                    node.report("\(ConfigText.quoted(text)) must not start with \"#\" (the cache's index marks its slot keys so)")
                } else {
                    keyPrefix = text
                }
            }
        }
    }
}
