// ProxyServer: Gatehouse as one object — the proxy listener, the admin listener and their shared state.
import GatehouseCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Gatehouse: binds `server.listen` (proxy) and `server.admin_listen` (health, metrics, admin).
///
/// ```swift
/// let server = try await ProxyServer.start(config: config, group: group, logger: logger)
/// print(server.port, server.adminPort)
/// await server.drain(timeout: .seconds(30))
/// ```
public final class ProxyServer: Sendable {
    private let state: ServerState
    private let listener: ProxyListener
    private let admin: AdminListener
    private let reloader: ConfigReloader
    private let prober: UpstreamProber
    private let reclaimer: CacheReclaimer
    private let drainFuture = NIOLockedValueBox<EventLoopFuture<Void>?>(nil)

    private init(
        state: ServerState, listener: ProxyListener, admin: AdminListener, reloader: ConfigReloader,
        prober: UpstreamProber, reclaimer: CacheReclaimer
    ) {
        self.reclaimer = reclaimer
        self.state = state
        self.listener = listener
        self.admin = admin
        self.reloader = reloader
        self.prober = prober
    }

    /// Resolves the upstreams, binds both listeners and starts serving. `configPath` is the
    /// file reloads re-read; `resolver` looks up the upstream host names, then and every
    /// `upstream.resolve_interval`.
    public static func start(
        config: GatehouseConfig,
        group: any EventLoopGroup,
        logger: Logger,
        configPath: String? = nil,
        metrics: GatehouseMetrics = GatehouseMetrics(),
        resolver: any UpstreamAddressResolver = SystemAddressResolver()
    ) async throws -> ProxyServer {
        let runtime = try await ProxyRuntime.build(
            config: config, group: group, metrics: metrics, logger: logger, resolver: resolver
        )
        if let redis = runtime.redis, !(await redis.waitUntilConnected()) {
            // As a reload does before its swap: a request that came while the first connection
            // was being made would find no connection (503 under `on_store_error: deny`, a
            // miss) from a Redis that is fine. A Redis that is down holds the start no longer.
            logger.warning("Redis is not reachable yet; serving per on_store_error until it is")
        }
        let state = ServerState(group: group, metrics: metrics, runtime: runtime, logger: logger, resolver: resolver)
        let reloader = ConfigReloader(path: configPath, state: state)
        let sampler = CacheMetricsSampler(metrics: metrics)
        let purger = CachePurger(state: state)
        let router = AdminRouter(
            health: { HealthReport.make(state: state) },
            metrics: { eventLoop in
                state.publishRecordedMetrics(on: eventLoop).map {
                    let runtime = state.runtime
                    sampler.sample(runtime.cache)
                    metrics.redisUp.set(runtime.redis?.isConnected == true ? 1 : 0)
                    return metrics.render()
                }
            },
            reload: {
                switch await reloader.reload() {
                case .reloaded(let summary):
                    return .json(200, .object([("status", "reloaded"), ("summary", .string(summary))]))
                case .rejected(let problems):
                    return .error(GatehouseError(
                        .badRequest, "Config rejected; the running config keeps serving",
                        details: problems.map { ["problem": .string($0)] }
                    ))
                }
            },
            purge: { body, eventLoop in purger.purge(body: body, on: eventLoop) },
            adminToken: {
                guard let name = state.runtime.config.server.adminTokenEnv else { return nil }
                return ProcessEnvironment.value(of: name)
            }
        )
        let adminAddress = config.server.adminListen
        let admin: AdminListener
        do {
            admin = try await AdminListener.bind(
                host: adminAddress.host, port: adminAddress.port, group: group, router: router, server: { state.runtime.config.server }
            )
        } catch {
            throw ListenerBindError(key: "server.admin_listen", address: adminAddress, error: error)
        }
        let listener: ProxyListener
        do {
            listener = try await ProxyListener.bind(state: state)
        } catch {
            try? await admin.close()
            throw ListenerBindError(key: "server.listen", address: config.server.listen, error: error)
        }
        logger.info("listening", metadata: [
            "listener": "proxy",
            "address": "\(config.server.listen.host):\(listener.localAddress?.port ?? config.server.listen.port)",
            "upstreams": "\(config.upstream.servers.map(\.description).joined(separator: ","))",
        ])
        logger.info("listening", metadata: [
            "listener": "admin",
            "address": "\(adminAddress.host):\(admin.localAddress?.port ?? adminAddress.port)",
        ])
        if let warning = config.server.unprotectedAdminWarning(environment: ProcessEnvironment.value(of:)) {
            logger.warning("\(warning)")
        }
        runtime.pools.startResolving(logger: logger)
        let prober = UpstreamProber.start(state: state, on: group.next())
        let reclaimer = CacheReclaimer.start(state: state, on: group.next())
        return ProxyServer(
            state: state, listener: listener, admin: admin, reloader: reloader, prober: prober, reclaimer: reclaimer
        )
    }

    /// The port the proxy listener is bound to.
    public var port: Int? { listener.localAddress?.port }

    /// The port the admin listener is bound to.
    public var adminPort: Int? { admin.localAddress?.port }

    /// Open client connections.
    public var activeConnections: Int { listener.openConnections }

    public var metrics: GatehouseMetrics { state.metrics }

    /// Requests waiting on a single flight, all keys together: what tests watch to know a
    /// follower has joined, which nothing outside shows.
    var cacheFollowersWaiting: Int { state.runtime.cache?.flights.followersWaiting ?? 0 }

    /// The config in force's upstream servers and their failure marks: tests mark a server
    /// that is up, which no outside event does without a wait of seconds for the probe.
    var upstreamServers: UpstreamServerSet { state.runtime.pools.servers }

    /// Waits until the Redis client of the config in force has a connection up (true at once
    /// without Redis); false after `timeout`. Connections are made in the background, so a
    /// request sent right after `start` may find Redis not up yet: tests whose outcome depends on
    /// the store wait here first.
    func redisConnected(within timeout: Duration) async -> Bool {
        guard let redis = state.runtime.redis else { return true }
        return await redis.client.waitUntilConnected(timeout: timeout)
    }

    /// `server.drain_timeout` of the config in force: a reload changes it.
    public var drainTimeout: Duration { state.runtime.config.server.drainTimeout }

    /// Re-reads the config file; true when the new config was applied.
    @discardableResult
    public func reload() async -> Bool {
        if case .reloaded = await reloader.reload() { return true }
        return false
    }

    /// Graceful: /health turns `draining`, the listener stops accepting, idle connections
    /// close, busy ones finish their response (with `Connection: close`); at `timeout` whatever
    /// is left is closed, a request still waiting for its response answered 503 first (`DrainDeadline`). Then upstream connections and the admin listener close, and the access
    /// log writes its last lines, within what is left of `timeout` (see `minimumLogFlush`).
    /// Returns false when the timeout cut connections.
    @discardableResult
    public func drain(timeout: Duration) async -> Bool {
        await drain(timeout: timeout, cutShortBy: nil) == .drained
    }

    /// The same drain; when `cutShortBy` returns first (an operator's second signal), the
    /// connections left are closed at once, as at the timeout. It must return when cancelled.
    public func drain(timeout: Duration, cutShortBy interrupt: (@Sendable () async -> Void)?) async -> DrainOutcome {
        let deadline = ContinuousClock.now + timeout
        let quiesced = beginDrain()
        let listener = self.listener
        let outcome = await withTaskGroup(of: DrainOutcome.self) { group in
            group.addTask {
                (try? await quiesced.get()) != nil ? .drained : .timedOut
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            if let interrupt {
                group.addTask {
                    await interrupt()
                    return .cutShort
                }
            }
            let first = await group.next() ?? .timedOut
            if first != .drained {
                await listener.closeAllConnections()
            }
            group.cancelAll()
            return first
        }
        // Cut short, the rest gets no more than the access log's moment: the operator asked for now.
        let finishBy = outcome == .cutShort ? ContinuousClock.now : deadline
        await prober.stop()
        reclaimer.stop()
        try? await state.runtime.pools.shutdown()?.get()
        try? await admin.close()
        await state.runtime.redis?.close(within: max(finishBy - ContinuousClock.now, .zero))
        // What is left of the timeout, but a moment at least for the last lines of a healthy
        // destination; a blocked one (a pipe nobody reads) must not hold the exit any longer.
        let logTimeout = max(finishBy - ContinuousClock.now, Self.minimumLogFlush)
        if !(await state.runtime.accessLog.close(within: logTimeout)) {
            state.logger.warning("access log: gave up writing the last lines (the destination is not taking them)")
        }
        return outcome
    }

    /// The least a drain waits for the access log's last lines, even when the connections took
    /// all of `drain_timeout`.
    static let minimumLogFlush = Duration.seconds(1)

    /// Starts a drain without waiting for it: /health answers `draining` from now on and no new
    /// connection is accepted. The future completes when every client connection is gone.
    @discardableResult
    public func beginDrain() -> EventLoopFuture<Void> {
        if let pending = drainFuture.withLockedValue({ $0 }) {
            return pending
        }
        state.startDraining()
        state.logger.info("draining", metadata: ["open_connections": "\(activeConnections)"])
        let future = listener.beginDrain()
        drainFuture.withLockedValue { $0 = future }
        return future
    }

    /// Immediate: stop both listeners, close every connection.
    public func shutdown() async throws {
        await prober.stop()
        reclaimer.stop()
        try? await listener.close()
        await listener.closeAllConnections()
        try await state.runtime.pools.shutdown()?.get()
        try? await admin.close()
        await state.runtime.redis?.close()
    }
}
