// ProxyRuntime+Building: making a runtime from a config, reusing what a reload leaves unchanged.
import GatehouseCore
import Logging
import NIOCore

extension ProxyRuntime {
    /// Builds the runtime for `config`. With a `previous` runtime (a reload), its upstream pools
    /// are kept when the upstream section is unchanged and its access log when the destination is
    /// unchanged and not a file (a file is reopened).
    static func build(
        config: GatehouseConfig,
        group: any EventLoopGroup,
        metrics: GatehouseMetrics,
        logger: Logger,
        resolver: any UpstreamAddressResolver,
        previous: ProxyRuntime? = nil
    ) async throws -> ProxyRuntime {
        // Secrets and key files are read here, once per config, never per request.
        let identity = try await UserIdentityResolver.make(config: config.identity)
        let pools: UpstreamPools
        if let previous, previous.config.upstream == config.upstream {
            pools = previous.pools
        } else {
            let servers = try UpstreamServerSet(servers: config.upstream.servers, resolver: resolver)
            pools = UpstreamPools(group: group, servers: servers, config: config.upstream, metrics: metrics)
        }
        let accessLog: AccessLogWriter
        if let previous, previous.config.server.accessLog == config.server.accessLog, !config.server.accessLog.isFile {
            accessLog = previous.accessLog
        } else {
            // A file is opened again even at the same path, as nginx does on HUP/USR1: logrotate
            // renames the file and then signals, and new lines must go to a new file at the path.
            // The old writer closes once the requests on the old runtime are done with it.
            accessLog = try openAccessLog(config.server.accessLog, metrics: metrics)
        }
        let redis = RedisLink.make(config: config, previous: previous?.redis, group: group, metrics: metrics, logger: logger)
        let rateLimiter = RateLimiter(config: config, previous: previous?.rateLimiter, redis: redis)
        let cache = ResponseCache.make(config: config, previous: previous?.cache, redis: redis, group: group, metrics: metrics)
        return ProxyRuntime(
            config: config, pools: pools, accessLog: accessLog, identity: identity, rateLimiter: rateLimiter,
            cache: cache, redis: redis, logger: logger
        )
    }
}
