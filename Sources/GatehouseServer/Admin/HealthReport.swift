// HealthReport: the /health answer (DESIGN.md §9) from the state of the process.
import GatehouseCore
#if canImport(Glibc)
import Glibc
#endif

/// Builds `{"status": ..., "checks": {...}}`: draining and unhealthy answer 503, healthy and
/// degraded 200, so a load balancer stops sending to an instance that cannot serve.
enum HealthReport {
    /// Free space under which the disk the logs go to counts as low.
    static let lowDiskBytes: UInt64 = 100 * 1024 * 1024

    static func make(state: ServerState) -> (status: Int, body: JSONValue) {
        let runtime = state.runtime
        let config = runtime.config
        let upstreamReachable = runtime.pools.servers.anyAvailable
        let redis = runtime.redis.map { $0.isConnected ? "connected" : "disconnected" } ?? "disconnected"
        let cache: String = switch config.cache.store {
        case .memory: "memory"
        case .off: "off"
        case .redis: redis
        }
        let rateLimits: String = switch config.rateLimits.store {
        case .memory: "memory"
        case .redis: redis
        }
        let diskLow = freeBytes(at: logDirectory(config.server.accessLog)).map { $0 < lowDiskBytes } ?? false

        let status: String
        if state.isDraining {
            status = "draining"
        } else if !upstreamReachable {
            status = "unhealthy"
        } else if cache == "disconnected" || rateLimits == "disconnected" || diskLow {
            status = "degraded"
        } else {
            status = "healthy"
        }
        let body = JSONValue.object([
            ("status", .string(status)),
            ("checks", .object([
                ("upstream", .string(upstreamReachable ? "reachable" : "unreachable")),
                ("cache", .string(cache)),
                ("rate_limits", .string(rateLimits)),
                ("disk", .string(diskLow ? "low" : "sufficient")),
            ])),
        ])
        return (status == "healthy" || status == "degraded" ? 200 : 503, body)
    }

    private static func logDirectory(_ destination: AccessLogDestination) -> String {
        guard case .file(let path) = destination, let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// Bytes available to unprivileged writers on the filesystem holding `path`.
    static func freeBytes(at path: String) -> UInt64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }
}
