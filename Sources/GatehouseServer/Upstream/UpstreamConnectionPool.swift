// UpstreamConnectionPool: one event loop's keep-alive connections to the origin servers.
import GatehouseCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Hands out upstream connections on one event loop, reusing idle ones (most recent first) and
/// connecting round robin over the servers that are not cooling down after a failure; when
/// every server is cooling down, round robin over all of them (see `pickServer(skipping:now:)`).
/// An idle connection past its `UpstreamIdleLimit` is closed rather than reused: when it is
/// found there, and by a sweep due when the first idle connection's limit passes.
///
/// Confined to its event loop: the downstream connections it serves live there too, so an
/// exchange never crosses threads and the pool needs no lock.
final class UpstreamConnectionPool {
    let eventLoop: any EventLoop
    private let servers: UpstreamServerSet
    private let connectTimeout: TimeAmount
    private let responseTimeout: TimeAmount
    private let maxIdlePerServer: Int
    private let idleLimit: UpstreamIdleLimit
    private let metrics: GatehouseMetrics
    private var idle: [[UpstreamConnection]]
    private var nextServer: Int
    /// Per server: the turn of the round robin over its addresses (a name can have several).
    private var nextAddress: [Int]
    /// Per server: how many times its addresses changed, as this loop was told. A connection
    /// made before the latest change may be to an address that went (see `release`).
    private var addressGeneration: [Int]
    private var isShutDown = false
    /// The next sweep for expired idle connections, and when it is due: the earliest limit of
    /// the idle connections. Scheduled only while some are idle, so a quiet loop is not woken;
    /// under steady traffic each connection released expires after those already idle, so
    /// requests do not move it.
    private var sweep: (task: Scheduled<Void>, due: NIODeadline)?

    init(
        eventLoop: any EventLoop, servers: UpstreamServerSet, config: UpstreamConfig, metrics: GatehouseMetrics,
        firstServer: Int
    ) {
        self.eventLoop = eventLoop
        self.servers = servers
        self.connectTimeout = TimeAmount(config.connectTimeout)
        self.responseTimeout = TimeAmount(config.responseTimeout)
        self.maxIdlePerServer = config.maxIdleConnections
        self.idleLimit = UpstreamIdleLimit(keepaliveTimeout: config.keepaliveTimeout)
        self.metrics = metrics
        self.idle = Array(repeating: [], count: servers.count)
        self.nextServer = firstServer % max(servers.count, 1)
        self.nextAddress = Array(repeating: firstServer, count: servers.count)
        self.addressGeneration = Array(repeating: 0, count: servers.count)
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
    /// A new connection is made to a server not in `tried` (the servers the request already
    /// went to) while there is one; a refused or timed-out connect moves on to the next
    /// such server, each at most once, before the acquisition fails.
    /// `now`: the caller's reading of the clock, if it has one (the request path does).
    func acquire(allowReuse: Bool = true, tried: Set<Int> = [], now: NIODeadline = .now()) -> Acquisition {
        eventLoop.preconditionInEventLoop()
        // A request that went to every server already (a refetch after its first exchange)
        // starts over rather than fails.
        let tried = tried.count < servers.count ? tried : []
        guard let first = pickServer(skipping: tried, now: now) else {
            // Only with no server configured, which the config check refuses.
            return .connecting(eventLoop.makeFailedFuture(UpstreamFailure.connectFailed("no upstream server")))
        }
        if allowReuse, let connection = takeIdle(server: first, now: now) {
            connection.exchanges += 1
            return .ready(connection)
        }
        return .connecting(connect(server: first, tried: tried))
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

    /// Takes a connection back after a complete exchange; it is kept if the server allows, and
    /// reused until its idle limit.
    func release(_ connection: UpstreamConnection) {
        eventLoop.preconditionInEventLoop()
        connection.handler.endExchange()
        guard !isShutDown, connection.channel.isActive, connection.handler.lastResponseKeepAlive,
              idle[connection.serverIndex].count < maxIdlePerServer, isToCurrentAddress(connection),
              let reusableUntil = idleLimit.reusableUntil(announced: connection.handler.announcedIdleTimeout)
        else {
            connection.channel.close(promise: nil)
            return
        }
        connection.reusableUntil = reusableUntil
        idle[connection.serverIndex].append(connection)
        if idleLimit.sweeps, sweep.map({ reusableUntil < $0.due }) ?? true {
            // The first to expire (an origin announced a shorter timeout): the sweep comes sooner.
            scheduleSweep(at: reusableUntil)
        }
    }

    /// Closes every idle connection and keeps none from now on (drain, reload). It still connects
    /// for whoever asks: after a reload that replaced this pool, requests that started under the
    /// old config (a follower woken when its leader's response was not stored, a retry, a
    /// request that waited on Redis) finish on it, as the old config promised them.
    func shutdown() {
        eventLoop.preconditionInEventLoop()
        isShutDown = true
        sweep?.task.cancel()
        sweep = nil
        for connections in idle {
            for connection in connections {
                connection.channel.close(promise: nil)
            }
        }
        idle = Array(repeating: [], count: servers.count)
    }

    var idleCount: Int { idle.reduce(0) { $0 + $1.count } }

    /// `server`'s name now resolves to `addresses`: idle connections to an address it no longer
    /// has are closed, as Envoy drains the pool of a host DNS dropped. An origin moved off an
    /// address (a blue/green switch, a failover) may keep serving there for a while, and a
    /// pooled connection would otherwise carry requests to it for as long as it stays busy.
    /// Connections in use finish their exchange, and are closed when released (`release`).
    func addressesChanged(server: Int, to addresses: [SocketAddress]) {
        eventLoop.preconditionInEventLoop()
        addressGeneration[server] += 1
        idle[server].removeAll { connection in
            guard !addresses.contains(connection.address) else {
                connection.addressGeneration = addressGeneration[server]
                return false
            }
            connection.channel.close(promise: nil)
            return true
        }
    }

    /// Whether `connection` is to an address its server still has. Only a connection made before
    /// its server's addresses last changed needs the (locked) look at them, which is rare.
    private func isToCurrentAddress(_ connection: UpstreamConnection) -> Bool {
        let server = connection.serverIndex
        guard connection.addressGeneration != addressGeneration[server] else { return true }
        guard servers.addresses(of: server).contains(connection.address) else { return false }
        connection.addressGeneration = addressGeneration[server]
        return true
    }

    /// The next server in round robin order that is not in `tried`: one not cooling down if
    /// there is one, else one that is; nil once every server was tried. A mark is only what
    /// the last failure suggested, so with every untried server marked, trying them is how a
    /// recovery is noticed at once (Envoy's panic mode balances over all hosts): failing
    /// without an attempt would make a blip of 100 ms seconds of 502s. Round robin rather than
    /// the oldest mark first spreads those trial connects over the marked servers; each
    /// request tries them all before it fails anyway.
    private func pickServer(skipping tried: Set<Int>, now: NIODeadline) -> Int? {
        var coolingDown: Int?
        for offset in 0..<servers.count {
            let index = (nextServer + offset) % servers.count
            if tried.contains(index) { continue }
            if servers.isAvailable(index, now: now) {
                nextServer = (index + 1) % servers.count
                return index
            }
            coolingDown = coolingDown ?? index
        }
        if let coolingDown {
            nextServer = (coolingDown + 1) % servers.count
        }
        return coolingDown
    }

    private func takeIdle(server: Int, now: NIODeadline) -> UpstreamConnection? {
        while let connection = idle[server].popLast() {
            if isStillReusable(connection, now: now) {
                return connection
            }
        }
        return nil
    }

    /// Whether an idle `connection` can carry another exchange; one past its limit is closed.
    private func isStillReusable(_ connection: UpstreamConnection, now: NIODeadline) -> Bool {
        guard connection.channel.isActive else { return false }
        guard now < connection.reusableUntil else {
            connection.channel.close(promise: nil)
            return false
        }
        return true
    }

    /// Sweeps at `due` (replacing a later sweep), and from then at each next earliest limit while
    /// connections are idle. An idle connection closes when its limit passes, not up to a whole
    /// `keepalive_timeout` later, as with a sweep every `keepalive_timeout` (nginx closes an idle
    /// upstream connection on its own timer at `keepalive_timeout`).
    private func scheduleSweep(at due: NIODeadline) {
        sweep?.task.cancel()
        // Held strongly until it runs or `shutdown` cancels it.
        let task = eventLoop.scheduleTask(deadline: due) { [self] in
            sweep = nil
            closeExpiredIdle(now: .now())
            if !isShutDown, let next = earliestLimit {
                scheduleSweep(at: next)
            }
        }
        sweep = (task, due)
    }

    /// When the first idle connection stops being reusable; nil when none is idle.
    private var earliestLimit: NIODeadline? {
        idle.lazy.flatMap { $0 }.map(\.reusableUntil).min()
    }

    /// Closes the idle connections past their limit and forgets those already closed, which
    /// would otherwise stay until a request happened to pop them.
    private func closeExpiredIdle(now: NIODeadline) {
        for server in idle.indices {
            idle[server].removeAll { !isStillReusable($0, now: now) }
        }
    }

    /// Connects to `server`, at the next of its addresses in round robin order; `addressesTried`:
    /// the attempts at its other addresses this acquisition made before.
    private func connect(server: Int, tried: Set<Int>, addressesTried: Int = 0) -> EventLoopFuture<UpstreamConnection> {
        // Read once per connect, not per request: a pooled connection never looks.
        let addresses = servers.addresses(of: server)
        let address = addresses[nextAddress[server] % addresses.count]
        nextAddress[server] &+= 1
        let generation = addressGeneration[server]
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
        return bootstrap.connect(to: address).map { channel in
            self.servers.markHealthy(server)
            let connection = UpstreamConnection(
                channel: channel, handler: handler, serverIndex: server, address: address, triedBefore: tried
            )
            connection.addressGeneration = generation
            connection.exchanges = 1
            return connection
        }.flatMapError { error in
            let failure: UpstreamFailure
            if case .connectTimeout = error as? ChannelError {
                failure = .connectTimeout
            } else {
                failure = .connectFailed("\(self.servers.servers[server]): \(error)")
            }
            if addressesTried + 1 < addresses.count {
                // A name with several addresses is one server whose other addresses may be up
                // (one instance of a load balancer gone): they are tried before the server is
                // marked and the request moves on.
                self.countMovedOn(failure)
                return self.connect(server: server, tried: tried, addressesTried: addressesTried + 1)
            }
            self.servers.markFailed(server)
            // Like nginx's proxy_next_upstream error/timeout: try the next server before failing.
            // Nothing was sent, so this holds for any request, a POST's included.
            let tried = tried.union([server])
            guard let next = self.pickServer(skipping: tried, now: .now()) else {
                return self.eventLoop.makeFailedFuture(failure)  // counted by whoever asked
            }
            self.countMovedOn(failure)
            return self.connect(server: next, tried: tried)
        }
    }

    /// Counts a failed connect the request moved on from: the client never sees it, but a server
    /// (or one of its addresses) refusing must show in the metrics.
    private func countMovedOn(_ failure: UpstreamFailure) {
        metrics.counter(GatehouseMetrics.Name.upstreamErrors, ["kind": failure.metricKind]).increment()
    }
}
