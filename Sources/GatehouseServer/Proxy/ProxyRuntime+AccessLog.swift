// ProxyRuntime+AccessLog: opening the access log, and the same runtime with its file opened anew.
import GatehouseCore

extension ProxyRuntime {
    /// Opens `destination`; the lines it loses are counted in `gatehouse_access_log_dropped_total`.
    static func openAccessLog(_ destination: AccessLogDestination, metrics: GatehouseMetrics) throws -> AccessLogWriter {
        let dropped = metrics.counter(GatehouseMetrics.Name.accessLogDropped, [:])
        return try AccessLogWriter(destination: destination) { dropped.increment(by: $0) }
    }

    /// This runtime, everything shared, but with its file access log opened again at its path;
    /// nil when the log is no file. The old writer closes once the requests using it are done.
    func reopeningAccessLog(metrics: GatehouseMetrics) throws -> ProxyRuntime? {
        guard config.server.accessLog.isFile else { return nil }
        return ProxyRuntime(
            config: config, pools: pools, accessLog: try Self.openAccessLog(config.server.accessLog, metrics: metrics),
            identity: identity, rateLimiter: rateLimiter, cache: cache, redis: redis, logger: logger
        )
    }
}
