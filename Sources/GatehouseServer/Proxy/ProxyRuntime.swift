// ProxyRuntime: what a config turns into for the data path, built once and shared by every connection.
import Atomics
import GatehouseCore
import Logging
import NIOCore

/// The immutable, config-derived state of the data path (Envoy's FilterConfig): limits, trust,
/// the upstream pools and the access log. A reload builds a new one; requests keep the one
/// they started with.
final class ProxyRuntime: Sendable, AtomicReference {
    let config: GatehouseConfig
    let pools: UpstreamPools
    let accessLog: AccessLogWriter
    let clientIPs: ClientIPResolver
    /// Who the user is (JWT, API key, trusted header).
    let identity: UserIdentityResolver
    let rateLimiter: RateLimiter
    /// nil when `cache.store` is off.
    let cache: ResponseCache?
    /// The Redis client, when a store is `redis`.
    let redis: RedisLink?
    let logger: Logger
    /// The first origin server's `host:port`: the `Host` of a request that named none.
    let upstreamAuthority: String?

    init(
        config: GatehouseConfig, pools: UpstreamPools, accessLog: AccessLogWriter, identity: UserIdentityResolver,
        rateLimiter: RateLimiter, cache: ResponseCache?, redis: RedisLink?, logger: Logger
    ) {
        self.cache = cache
        self.redis = redis
        self.identity = identity
        self.config = config
        self.pools = pools
        self.accessLog = accessLog
        self.clientIPs = ClientIPResolver(trustedProxies: config.server.trustedProxies, header: config.server.clientIPHeader)
        self.rateLimiter = rateLimiter
        self.logger = logger
        self.upstreamAuthority = config.upstream.servers.first?.authority
    }

    var maxBodyBytes: Int { config.server.maxBodyBytes }
}
