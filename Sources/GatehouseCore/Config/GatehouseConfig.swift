// GatehouseConfig: the whole typed configuration read from proxy.conf (DESIGN.md §5).

/// Everything Gatehouse reads from its config file, validated and with defaults applied.
///
/// Built once by `ConfigLoader` and swapped whole on reload; nothing in here changes afterwards.
public struct GatehouseConfig: Sendable, Equatable {
    public var server: ServerConfig
    public var upstream: UpstreamConfig
    public var redis: RedisConfig
    public var identity: IdentityConfig
    public var rateLimits: RateLimitsConfig
    public var cache: CacheConfig
    /// Where the file wrote each key (set by `ConfigLoader`; empty for a config built in code).
    /// Equal for every config, so it never makes two configurations differ.
    public var keyLines = ConfigKeyLines()

    public init(
        server: ServerConfig = ServerConfig(),
        upstream: UpstreamConfig,
        redis: RedisConfig = RedisConfig(),
        identity: IdentityConfig = IdentityConfig(),
        rateLimits: RateLimitsConfig = RateLimitsConfig(),
        cache: CacheConfig = CacheConfig()
    ) {
        self.server = server
        self.upstream = upstream
        self.redis = redis
        self.identity = identity
        self.rateLimits = rateLimits
        self.cache = cache
    }
}
