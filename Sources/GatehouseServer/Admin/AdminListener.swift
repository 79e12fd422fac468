// AdminListener: binds `server.admin_listen` for /health, /metrics and /admin/*.
import GatehouseCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin HTTP listener; never shares a port with the proxy.
final class AdminListener: Sendable {
    /// Admin connections open at once; the next is answered 503 and closed. Scrapers, health
    /// checkers and an operator need a handful. A cap of its own, not a share of
    /// `max_connections`: a flood on the public port must not lock out /health and /metrics,
    /// and admin connections must not take the proxy's descriptors without bound either.
    static let maxConnections = 128

    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    var localAddress: SocketAddress? { channel.localAddress }

    /// `server` gives the config in force when a connection opens: its `idle_timeout` and
    /// `read_header_timeout` bound how long the connection may wait for, and send, a request.
    static func bind(
        host: String, port: Int, group: any EventLoopGroup, router: AdminRouter, server: @escaping @Sendable () -> ServerConfig
    ) async throws -> AdminListener {
        let limiter = ConnectionLimiter(limit: maxConnections)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard limiter.tryAcquire() else {
                        RawErrorResponse.refuse(channel, GatehouseError(.unavailable, "Too many admin connections"))
                        return
                    }
                    channel.closeFuture.whenComplete { _ in limiter.release() }
                    let config = server()
                    try channel.pipeline.syncOperations.addHandler(AdminConnectionTimer(
                        idleTimeout: TimeAmount(config.idleTimeout), requestTimeout: TimeAmount(config.readHeaderTimeout)
                    ))
                    // Without NIO's error handler: `AdminHandler` refuses what the decoder cannot read, in JSON.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(router: router))
                }
            }
            .bind(host: host, port: port)
            .get()
        return AdminListener(channel: channel)
    }

    func close() async throws {
        try await channel.close()
    }
}
