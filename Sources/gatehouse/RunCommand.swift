// RunCommand: `gatehouse run` loads the config and serves until SIGTERM/SIGINT.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GatehouseCore
import GatehouseServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the proxy (the default).")

    @OptionGroup var options: ConfigPathOption

    func run() async throws {
        // SIGHUP's default action ends the process, and the reload handler is installed only once
        // the listeners are up: a logrotate or `systemctl reload` landing during start-up (config
        // load, preflight, binding, a Redis connect) killed Gatehouse with status 129. Ignored
        // until then; the handler, a dispatch signal source, still receives it afterwards.
        signal(SIGHUP, SIG_IGN)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "gatehouse")
        let path = options.resolvedPath
        logger.info("gatehouse \(GatehouseVersion.current) starting", metadata: ["config": "\(path)"])
        let config: GatehouseConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            for issue in error.issues {
                logger.error("\(issue.description)")
            }
            throw ExitCode(1)
        }
        let problems = await ConfigPreflight.issues(of: config, file: path)
        guard problems.isEmpty else {
            for issue in problems {
                logger.error("\(issue.description)")
            }
            throw ExitCode(1)
        }
        if let raised = OpenFileLimit.raiseToHardLimit() {
            logger.info("open-file limit raised from \(raised.from) to \(raised.to) (its hard limit)")
        }
        // Each client connection is a descriptor (one more while it is forwarded upstream).
        if let limit = OpenFileLimit.current, limit < config.server.maxConnections + 64 {
            logger.warning(
                "the open-file limit (\(limit)) is below server.max_connections (\(config.server.maxConnections)): connections past it will wait in the kernel's queue; raise the limit (ulimit -n, systemd LimitNOFILE) or lower max_connections"
            )
        }
        let threads = config.server.threads ?? System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let service = ProxyService(config: config, configPath: path, group: group, logger: logger)
        let serviceGroup = ServiceGroup(
            services: [service],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        do {
            try await serviceGroup.run()
        } catch let error as ListenerBindError {
            // A problem of the file's, reported as `check` reports the others: at its key's line.
            let issue = ConfigIssue(file: path, line: config.keyLines.line(of: error.key), path: error.key, message: error.message)
            logger.error("\(issue.description)")
            try? await group.shutdownGracefully()
            throw ExitCode(1)
        } catch {
            logger.error("stopped: \(error)")
            try? await group.shutdownGracefully()
            throw ExitCode(1)
        }
        try? await group.shutdownGracefully()
    }
}
