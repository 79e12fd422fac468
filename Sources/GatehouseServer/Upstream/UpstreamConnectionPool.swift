// UpstreamConnectionPool: one event loop's keep-alive connections to the origin servers.
import GatehouseCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Hands out upstream connections on one event loop, reusing idle ones (most recent first) and
/// connecting round robin over the servers that are not cooling down after a failure.
///
/// Confined to its event loop: the downstream connections it serves live there too, so an
/// exchange never crosses threads and the pool needs no lock.
final class UpstreamConnectionPool {
    let eventLoop: any EventLoop
    private let servers: UpstreamServerSet
    private let connectTimeout: TimeAmount
    private let responseTimeout: TimeAmount
    private let maxIdlePerServer: Int
    private var idle: [[UpstreamConnection]]
    private var nextServer: Int
    private var isShutDown = false

    init(eventLoop: any EventLoop, servers: UpstreamServerSet, config: UpstreamConfig, firstServer: Int) {
        self.eventLoop = eventLoop
        self.servers = servers
        self.connectTimeout = TimeAmount(config.connectTimeout)
        self.responseTimeout = TimeAmount(config.responseTimeout)
        self.maxIdlePerServer = config.maxIdleConnections
        self.idle = Array(repeating: [], count: servers.count)
        self.nextServer = firstServer % max(servers.count, 1)
    }

    /// What `acquire` hands out.
    enum Acquisition {
        /// An idle connection, usable at once.
        case ready(UpstreamConnection)
        /// A connection being made (or the reason none can be).
        case connecting(EventLoopFuture<UpstreamConnection>)
    }

    /// A connection ready for one exchange: an idle one when `allowReuse`, else a new one.
    /// An idle one comes back directly, not through a future: that is the usual case, and a
    /// succeeded future plus its callback cost an allocation each per request.
    func acquire(allowReuse: Bool = true) -> Acquisition {
        eventLoop.preconditionInEventLoop()
        let first = pickServer()
        if allowReuse, let connection = takeIdle(server: first) {
            connection.exchanges += 1
            return .ready(connection)
        }
        return .connecting(connect(server: first, attemptsLeft: servers.count))
    }

    /// `acquire` as a future, for callers off the hot path.
    func acquireFuture(allowReuse: Bool = true) -> EventLoopFuture<UpstreamConnection> {
        switch acquire(allowReuse: allowReuse) {
        case .ready(let connection):
            eventLoop.makeSucceededFuture(connection)
        case .connecting(let connection):
            connection
        }
    }

    /// Takes a connection back after a complete exchange; it is kept if the server allows.
    func release(_ connection: UpstreamConnection) {
        eventLoop.preconditionInEventLoop()
        connection.handler.endExchange()
        guard !isShutDown, connection.channel.isActive, connection.handler.lastResponseKeepAlive,
              idle[connection.serverIndex].count < maxIdlePerServer
        else {
            connection.channel.close(promise: nil)
            return
        }
        idle[connection.serverIndex].append(connection)
    }

    /// Closes every idle connection and keeps none from now on (drain, reload). It still connects
    /// for whoever asks: after a reload that replaced this pool, requests that started under the
    /// old config (a follower woken when its leader's response was not stored, a retry, a
    /// request that waited on Redis) finish on it, as the old config promised them.
    func shutdown() {
        eventLoop.preconditionInEventLoop()
        isShutDown = true
        for connections in idle {
            for connection in connections {
                connection.channel.close(promise: nil)
            }
        }
        idle = Array(repeating: [], count: servers.count)
    }

    var idleCount: Int { idle.reduce(0) { $0 + $1.count } }

    private func pickServer() -> Int {
        let now = NIODeadline.now()
        for offset in 0..<servers.count {
            let index = (nextServer + offset) % servers.count
            if servers.isAvailable(index, now: now) {
                nextServer = (index + 1) % servers.count
                return index
            }
        }
        // Every server is cooling down: try the next one anyway so recovery is noticed.
        let index = nextServer
        nextServer = (nextServer + 1) % servers.count
        return index
    }

    private func takeIdle(server: Int) -> UpstreamConnection? {
        while let connection = idle[server].popLast() {
            if connection.channel.isActive {
                return connection
            }
        }
        return nil
    }

    private func connect(server: Int, attemptsLeft: Int) -> EventLoopFuture<UpstreamConnection> {
        let handler = UpstreamHandler(responseTimeout: responseTimeout)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // NIO keeps up to maxMessagesPerRead receive buffers per channel for its whole life
            // (up to 64 KiB each once responses are large): reading one per wake-up keeps a
            // pooled connection's memory at one buffer (README "Soak test").
            .channelOption(ChannelOptions.maxMessagesPerRead, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Requests are written as bytes by UpstreamConnection, and the handler reads
                    // responses off the bytes itself: it is the whole pipeline.
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        return bootstrap.connect(to: servers.addresses[server]).map { channel in
            self.servers.markHealthy(server)
            let connection = UpstreamConnection(channel: channel, handler: handler, serverIndex: server)
            connection.exchanges = 1
            return connection
        }.flatMapError { error in
            self.servers.markFailed(server)
            let failure: UpstreamFailure
            if case .connectTimeout = error as? ChannelError {
                failure = .connectTimeout
            } else {
                failure = .connectFailed("\(self.servers.servers[server]): \(error)")
            }
            // Like nginx's proxy_next_upstream error/timeout: try the next server before failing.
            let next = self.pickServer()
            if attemptsLeft > 1 && next != server && self.servers.isAvailable(next) {
                return self.connect(server: next, attemptsLeft: attemptsLeft - 1)
            }
            return self.eventLoop.makeFailedFuture(failure)
        }
    }
}
