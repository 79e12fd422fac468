// ConfigReloader: re-reads the config file and swaps the runtime, or keeps the old one on error.
import GatehouseCore
import Logging
import NIOCore

/// Reloads on SIGHUP and `POST /admin/reload`, one at a time. A file with any problem is
/// rejected whole (logged, counted) and the running config keeps serving; a good one becomes
/// the runtime of every request that starts afterwards.
actor ConfigReloader {
    enum Outcome: Sendable {
        case reloaded(summary: String)
        case rejected(problems: [String])
    }

    private let path: String?
    private let state: ServerState

    init(path: String?, state: ServerState) {
        self.path = path
        self.state = state
    }

    func reload() async -> Outcome {
        let metrics = state.metrics
        guard let path else {
            metrics.counter(GatehouseMetrics.Name.configReloads, ["result": "error"]).increment()
            return .rejected(problems: ["this server was started without a config file"])
        }
        let config: GatehouseConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            metrics.counter(GatehouseMetrics.Name.configReloads, ["result": "error"]).increment()
            let problems = error.issues.map(\.description)
            for problem in problems {
                state.logger.error("reload rejected: \(problem)")
            }
            return .rejected(problems: problems)
        }
        return await apply(config)
    }

    /// Swaps in `config` (already validated).
    func apply(_ config: GatehouseConfig) async -> Outcome {
        let previous = state.runtime
        let runtime: ProxyRuntime
        do {
            runtime = try await ProxyRuntime.build(
                config: config, group: state.group, metrics: state.metrics, logger: state.logger, previous: previous
            )
        } catch {
            state.metrics.counter(GatehouseMetrics.Name.configReloads, ["result": "error"]).increment()
            state.logger.error("reload rejected: \(error)")
            return .rejected(problems: ["\(error)"])
        }
        _ = state.runtimeBox.swap(runtime)
        state.connectionLimiter.updateLimit(config.server.maxConnections)
        if let old = previous.redis, old !== runtime.redis {
            // Requests still on the old client see failures: cache misses, `on_store_error`.
            await old.close()
        }
        if runtime.pools !== previous.pools {
            // Requests still on the old pools finish; their connections close when released.
            _ = previous.pools.shutdown()
        }
        if config.server.listen != previous.config.server.listen
            || config.server.adminListen != previous.config.server.adminListen
        {
            state.logger.warning("listener addresses changed; they take effect after a restart", metadata: [
                "listen": "\(previous.config.server.listen) -> \(config.server.listen)",
                "admin_listen": "\(previous.config.server.adminListen) -> \(config.server.adminListen)",
            ])
        }
        state.metrics.counter(GatehouseMetrics.Name.configReloads, ["result": "success"]).increment()
        state.logger.info("config reloaded")
        return .reloaded(summary: config.summary)
    }
}
