// The listening socket of the in-test origins: 127.0.0.1, a port of the system's choosing, connections numbered and closed at shutdown.
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Accepts connections for ``TestUpstreamServer`` and ``RawTestOrigin``, which set up each one's
/// pipeline; it numbers them and keeps the open ones, so that a shutdown closes hanging ones too.
final class TestListener: Sendable {
    /// The port it listens on.
    let port: Int
    private let serverChannel: any Channel
    private let connections: NIOLockedValueBox<TestListenerConnections>

    private init(port: Int, serverChannel: any Channel, connections: NIOLockedValueBox<TestListenerConnections>) {
        self.port = port
        self.serverChannel = serverChannel
        self.connections = connections
    }

    /// Starts listening; `setUp` adds the handlers of each accepted connection (on its event
    /// loop), given the connection's number (1 for the first).
    static func start(setUp: @escaping @Sendable (_ child: any Channel, _ connectionNumber: Int) throws -> Void) async throws -> TestListener {
        let connections = NIOLockedValueBox(TestListenerConnections())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            // Half-closing clients still get their answer, as from a real origin.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                guard let connectionNumber = connections.withLockedValue({ $0.accept(child) }) else {
                    return child.close()
                }
                child.closeFuture.whenComplete { _ in
                    connections.withLockedValue { $0.closed(child) }
                }
                return child.eventLoop.makeCompletedFuture {
                    try setUp(child, connectionNumber)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw TestUpstreamServerError.noLocalPort
        }
        return TestListener(port: port, serverChannel: channel, connections: connections)
    }

    /// The listening channel's event loop, for the timers of those who wait on it.
    var eventLoop: any EventLoop {
        self.serverChannel.eventLoop
    }

    /// Connections accepted so far.
    var acceptedConnections: Int {
        self.connections.withLockedValue { $0.accepted }
    }

    /// The connections not closed yet.
    var openConnections: [any Channel] {
        self.connections.withLockedValue { $0.openChannels }
    }

    /// Stops listening and closes every open connection.
    func shutdown() async throws {
        try await EventWait.close(self.serverChannel)
        let open = self.connections.withLockedValue { $0.beginShutdown() }
        for channel in open {
            // A connection may close by itself meanwhile; any outcome is fine here.
            try? await EventWait.close(channel)
        }
    }
}
