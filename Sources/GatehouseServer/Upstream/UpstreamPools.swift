// UpstreamPools: one UpstreamConnectionPool per event loop of the group, and the re-resolution of their servers.
import GatehouseCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The per-event-loop pools of one runtime, and the refresher that follows their servers' names.
final class UpstreamPools: Sendable {
    let servers: UpstreamServerSet
    private let pools: PerEventLoop<UpstreamConnectionPool>
    private let resolveInterval: Duration
    private let metrics: GatehouseMetrics
    /// Set by `startResolving`, taken by `shutdown`.
    private let refresher = NIOLockedValueBox<UpstreamAddressRefresher?>(nil)

    init(group: any EventLoopGroup, servers: UpstreamServerSet, config: UpstreamConfig, metrics: GatehouseMetrics) {
        self.servers = servers
        self.resolveInterval = config.resolveInterval
        self.metrics = metrics
        // Each loop starts its round robin at a different server so load spreads at once.
        self.pools = PerEventLoop(group: group) { index, loop in
            UpstreamConnectionPool(eventLoop: loop, servers: servers, config: config, metrics: metrics, firstServer: index)
        }
    }

    /// The pool confined to `eventLoop`.
    func pool(for eventLoop: any EventLoop) -> UpstreamConnectionPool? {
        pools.value(for: eventLoop)
    }

    /// Starts resolving the servers given by name every `upstream.resolve_interval` (not when it
    /// is 0, or every server is an IP address). Called once these pools serve (at start, or by
    /// the reload that made them), not at build: a build that fails must leave nothing running.
    func startResolving(logger: Logger) {
        guard resolveInterval > .zero, !servers.namedServers.isEmpty, let loop = pools.all.first?.loop else { return }
        let started = UpstreamAddressRefresher.start(
            servers: servers, every: TimeAmount(resolveInterval), on: loop, metrics: metrics, logger: logger
        ) { [weak self] server, addresses in
            self?.addressesChanged(server: server, to: addresses)
        }
        takeRefresher()?.stop()
        refresher.withLockedValue { $0 = started }
    }

    private func takeRefresher() -> UpstreamAddressRefresher? {
        refresher.withLockedValue { current in
            defer { current = nil }
            return current
        }
    }

    /// Has every loop's pool let go of its idle connections to addresses `server` no longer has.
    private func addressesChanged(server: Int, to addresses: [SocketAddress]) {
        for pool in pools.allValues {
            pool.eventLoop.execute { pool.addressesChanged(server: server, to: addresses) }
        }
    }

    /// Stops resolving, closes every idle connection on every loop; connections in use close
    /// when released.
    func shutdown() -> EventLoopFuture<Void>? {
        // Not waited for: a lookup in progress may be blocked on a DNS server that does not answer.
        takeRefresher()?.stop()
        let futures = pools.allValues.map { pool in
            pool.eventLoop.submit { pool.shutdown() }
        }
        guard let first = futures.first else { return nil }
        return EventLoopFuture.andAllSucceed(futures, on: first.eventLoop)
    }
}
