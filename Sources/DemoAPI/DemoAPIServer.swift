// The demo REST API server: binds a listener and gives each connection a DemoAPIHandler.
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The sample REST API Gatehouse is demonstrated, tested and benchmarked against.
///
/// Serves `/api/users` (a seeded in-memory user collection), `/health`, and the test endpoints
/// listed in `DiagnosticsEndpoint.swift` (`/bytes/{n}`, `/delay/{ms}`, `/nocache`, `/echo`,
/// `/headers`, `/stats`).
public final class DemoAPIServer: Sendable {
    private enum Lifecycle {
        case idle
        case starting
        case running(any Channel)
        case stopped
    }

    private let eventLoopGroup: any EventLoopGroup
    private let application: DemoAPIApplication
    private let connections = ConnectionRegistry()
    private let lifecycle = NIOLockedValueBox(Lifecycle.idle)

    /// - Parameters:
    ///   - configuration: freshness of cacheable answers and number of seeded users.
    ///   - eventLoopGroup: runs the listener and the connections; owned by the caller.
    public init(configuration: DemoAPIConfiguration, eventLoopGroup: any EventLoopGroup) {
        self.eventLoopGroup = eventLoopGroup
        self.application = DemoAPIApplication(configuration: configuration)
    }

    /// Binds and starts serving; returns the bound port (pass port 0 for an ephemeral one).
    public func start(host: String, port: Int) async throws -> Int {
        try self.lifecycle.withLockedValue { lifecycle in
            guard case .idle = lifecycle else { throw DemoAPIServerError.alreadyStarted }
            lifecycle = .starting
        }
        let application = self.application
        let connections = self.connections
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(DemoAPIHandler(application: application))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            self.lifecycle.withLockedValue { $0 = .idle }
            throw error
        }
        guard let boundPort = channel.localAddress?.port else {
            try? await channel.close()
            self.lifecycle.withLockedValue { $0 = .stopped }
            throw DemoAPIServerError.noBoundPort
        }
        let stoppedMeanwhile = self.lifecycle.withLockedValue { lifecycle -> Bool in
            guard case .starting = lifecycle else { return true }
            lifecycle = .running(channel)
            return false
        }
        if stoppedMeanwhile {
            try? await channel.close()
            throw DemoAPIServerError.shutDownWhileStarting
        }
        return boundPort
    }

    /// Stops accepting, closes every open connection (answers in flight are cut off) and
    /// returns once they are closed. Does nothing if the server is not running.
    public func shutdown() async throws {
        let listener = self.lifecycle.withLockedValue { lifecycle -> (any Channel)? in
            defer { lifecycle = .stopped }
            if case .running(let channel) = lifecycle { return channel }
            return nil
        }
        if let listener {
            try? await listener.close()
        }
        await self.connections.closeAll()
    }
}
