// UpstreamPools: one UpstreamConnectionPool per event loop of the group.
import GatehouseCore
import NIOCore

/// The per-event-loop pools of one runtime.
final class UpstreamPools: Sendable {
    let servers: UpstreamServerSet
    private let pools: PerEventLoop<UpstreamConnectionPool>

    init(group: any EventLoopGroup, servers: UpstreamServerSet, config: UpstreamConfig, metrics: GatehouseMetrics) {
        self.servers = servers
        // Each loop starts its round robin at a different server so load spreads at once.
        self.pools = PerEventLoop(group: group) { index, loop in
            UpstreamConnectionPool(eventLoop: loop, servers: servers, config: config, metrics: metrics, firstServer: index)
        }
    }

    /// The pool confined to `eventLoop`.
    func pool(for eventLoop: any EventLoop) -> UpstreamConnectionPool? {
        pools.value(for: eventLoop)
    }

    /// Closes every idle connection on every loop; connections in use close when released.
    func shutdown() -> EventLoopFuture<Void>? {
        let futures = pools.allValues.map { pool in
            pool.eventLoop.submit { pool.shutdown() }
        }
        guard let first = futures.first else { return nil }
        return EventLoopFuture.andAllSucceed(futures, on: first.eventLoop)
    }
}
