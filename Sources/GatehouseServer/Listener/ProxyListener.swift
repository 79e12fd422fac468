// ProxyListener: binds the public port and builds each client connection's pipeline.
import GatehouseCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix

/// The public HTTP/1.1 listener. Each accepted connection gets one handler, `ProxyHandler`
/// (reading requests, timeouts through its `ConnectionGuard`, pipelining, everything after the
/// head, response framing); a connection refused at once gets none, just its error response.
final class ProxyListener: Sendable {
    private let quiesce: ServerQuiescingHelper
    private let connections: ConnectionRegistry
    let channel: any Channel

    private init(quiesce: ServerQuiescingHelper, connections: ConnectionRegistry, channel: any Channel) {
        self.quiesce = quiesce
        self.connections = connections
        self.channel = channel
    }

    /// The bound address (its port is the real one when the config said 0).
    var localAddress: SocketAddress? { channel.localAddress }

    /// Open client connections.
    var openConnections: Int { connections.count }

    static func bind(state: ServerState) async throws -> ProxyListener {
        let quiesce = ServerQuiescingHelper(group: state.group)
        let connections = ConnectionRegistry()
        let listen = state.runtime.config.server.listen
        let channel = try await ServerBootstrap(group: state.group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // A client may send its request and then FIN (`shutdown(SHUT_WR)`): it still gets its answer.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 4) // NIO pools this many receive buffers (≤ 64 KiB each) per connection
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel: channel, state: state, connections: connections)
                }
            }
            .bind(host: listen.host, port: listen.port)
            .get()
        return ProxyListener(quiesce: quiesce, connections: connections, channel: channel)
    }

    private static func configure(channel: any Channel, state: ServerState, connections: ConnectionRegistry) throws {
        guard let loop = state.loops.value(for: channel.eventLoop) else {
            RawErrorResponse.refuse(channel, GatehouseError(.internalError, "No per-loop state for this event loop"))
            return
        }
        guard state.connectionLimiter.tryAcquire() else {
            let error = GatehouseError(.unavailable, "Too many connections")
            var requestIDs = RequestIDGenerator()
            RefusalRecord.record(
                error, client: channel.remoteAddress.flatMap { IPAddress($0) }?.description ?? "unknown",
                requestID: requestIDs.generate(), recorder: loop.recorder, accessLog: state.runtime.accessLog
            )
            RawErrorResponse.refuse(channel, error)
            return
        }
        let metrics = state.metrics
        metrics.connectionsActive.increment()
        connections.add(channel)
        channel.closeFuture.whenComplete { _ in
            state.connectionLimiter.release()
            metrics.connectionsActive.decrement()
        }
        // No HTTP codec: ProxyHandler reads requests off the bytes, frames responses itself (a
        // hit is one pre-encoded buffer) and holds pipelined requests back until the one before
        // is answered.
        let handler = ProxyHandler(serverState: state, loop: loop, peer: channel.remoteAddress)
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// Stops accepting, asks every connection to finish its current request and close (idle
    /// ones at once, busy ones after their response, with `Connection: close`), and completes
    /// when all client connections are gone.
    func beginDrain() -> EventLoopFuture<Void> {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: promise)
        return promise.futureResult
    }

    /// Ends whatever connections are left (the drain timeout's last resort; see `ConnectionRegistry.closeAll`).
    func closeAllConnections() async {
        await connections.closeAll()
    }

    /// Stops accepting without waiting for open connections.
    func close() async throws {
        try await channel.close()
    }
}
