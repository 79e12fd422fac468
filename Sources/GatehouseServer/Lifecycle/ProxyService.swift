// ProxyService: runs Gatehouse as a swift-service-lifecycle Service, draining on graceful shutdown.
import GatehouseCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Gatehouse's lifetime: start serving, wait for SIGTERM/SIGINT (graceful shutdown), drain the
/// connections for at most `server.drain_timeout` (the last config reloaded's) or until a
/// second SIGTERM/SIGINT, return.
public struct ProxyService: Service {
    private let config: GatehouseConfig
    private let configPath: String?
    private let group: any EventLoopGroup
    private let logger: Logger

    public init(config: GatehouseConfig, configPath: String?, group: any EventLoopGroup, logger: Logger) {
        self.config = config
        self.configPath = configPath
        self.group = group
        self.logger = logger
    }

    public func run() async throws {
        let server = try await ProxyServer.start(config: config, group: group, logger: logger, configPath: configPath)
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            // SIGHUP reloads until a graceful shutdown begins.
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    logger.info("SIGHUP: reloading config")
                    await server.reload()
                }
            }
            // Returns when a graceful shutdown is requested, or throws when the task is cancelled.
            try? await gracefulShutdown()
            group.cancelAll()
        }
        // Trapped before the drain starts (its "draining" line tells an operator it has): a
        // second SIGTERM or SIGINT stops now, as a Ctrl-C pressed twice is meant to.
        let stopNow = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let outcome = await server.drain(timeout: server.drainTimeout, cutShortBy: {
            for await signal in stopNow {
                logger.warning("\(signal) during the drain: closing the connections that are left now")
                return
            }
        })
        switch outcome {
        case .drained:
            logger.info("drained")
        case .timedOut:
            logger.warning("drain timeout reached; closed the connections that were left")
        case .cutShort:
            logger.warning("drain cut short; closed the connections that were left")
        }
    }
}
