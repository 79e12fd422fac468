// GatehouseConfig+Reading: reads the whole file's sections and checks what spans sections.

extension GatehouseConfig {
    static let sectionKeys: [(key: String, keys: [String])] = [
        ("server", ServerConfig.keys),
        ("upstream", UpstreamConfig.keys),
        ("redis", RedisConfig.keys),
        ("identity", IdentityConfig.keys),
        ("rate_limits", RateLimitsConfig.keys),
        ("cache", CacheConfig.keys),
    ]

    /// Reads the document's root (nil for an empty file), reporting every problem to `reader`.
    init(reading root: ConfigNode?, reader: ConfigReader) {
        // A section key written at the top level (`listen:`) is a misplaced key, not a typo.
        var hints: [String: String] = [:]
        for (section, keys) in GatehouseConfig.sectionKeys {
            for key in keys where hints[key] == nil {
                hints[key] = "\(section).\(key)"
            }
        }
        let rootSection = root.map { $0.mapping(keys: GatehouseConfig.sectionKeys.map(\.key), hints: hints) }
            ?? ConfigMapping(path: "", line: nil, reader: reader)
        func section(_ key: String, _ keys: [String], hints: [String: String] = [:]) -> ConfigMapping? {
            rootSection?[key]?.mapping(keys: keys, hints: hints)
        }
        let server = section("server", ServerConfig.keys, hints: ServerConfig.hints).map(ServerConfig.init(reading:)) ?? ServerConfig()
        let upstream = section("upstream", UpstreamConfig.keys).map(UpstreamConfig.init(reading:)) ?? UpstreamConfig(servers: [])
        // Only a missing section needs the reminder; a section of the wrong type is reported already.
        if let rootSection, rootSection["upstream"] == nil {
            reader.report("is required; \(UpstreamConfig.serversHint)", path: "upstream.servers", line: nil)
        }
        let identity = section("identity", IdentityConfig.keys).map(IdentityConfig.init(reading:)) ?? IdentityConfig()
        let users = identity.canIdentifyUsers ? nil : GatehouseConfig.noUsersReason
        self.init(
            server: server,
            upstream: upstream,
            redis: section("redis", RedisConfig.keys).map(RedisConfig.init(reading:)) ?? RedisConfig(),
            identity: identity,
            rateLimits: section("rate_limits", RateLimitsConfig.keys)
                .map { RateLimitsConfig(reading: $0, noUsersReason: users) } ?? RateLimitsConfig(),
            cache: section("cache", CacheConfig.keys)
                .map { CacheConfig(reading: $0, noUsersReason: users) } ?? CacheConfig()
        )
    }

    /// Why a user-keyed policy or a per-user rule would never see a user.
    private static let noUsersReason =
        "no request can carry a user: identity.api_key_header and identity.user_header are off and identity.jwt is not set"
}
