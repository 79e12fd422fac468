// UpstreamAddressRefresher: resolves the servers given by host name again, every upstream.resolve_interval.
import GatehouseCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Looks up the names of `upstream.servers` again at a fixed interval (Envoy's STRICT_DNS
/// `dns_refresh_rate`), so that an origin whose addresses change is followed without a reload.
///
/// The lookups block (getaddrinfo), so a round runs on NIO's thread pool, never on an event
/// loop; the next round is scheduled an interval after one ends, so a slow DNS server never
/// has rounds pile up. A failed lookup keeps the server's last addresses: a DNS outage must not
/// take down origins that are still there.
final class UpstreamAddressRefresher: Sendable {
    private let task: RepeatedTask
    private let eventLoop: any EventLoop

    private init(task: RepeatedTask, eventLoop: any EventLoop) {
        self.task = task
        self.eventLoop = eventLoop
    }

    /// Starts resolving `servers`' names every `interval`, with rounds scheduled on `eventLoop`.
    /// `changed` runs on `eventLoop` with a server's index and addresses when they changed.
    static func start(
        servers: UpstreamServerSet, every interval: TimeAmount, on eventLoop: any EventLoop, metrics: GatehouseMetrics,
        logger: Logger, changed: @escaping @Sendable (_ server: Int, _ addresses: [SocketAddress]) -> Void
    ) -> UpstreamAddressRefresher {
        let failures = servers.namedServers.map { index in
            let counter = metrics.counter(GatehouseMetrics.Name.upstreamResolveFailures, ["server": servers.names[index]])
            // Zero up front, so an alert sees the series before the first failure.
            counter.increment(by: 0)
            return counter
        }
        // The servers whose last lookup failed: their failure is logged once per streak.
        let failing = NIOLockedValueBox<Set<Int>>([])
        let task = eventLoop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { _ in
            NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
                servers.namedServers.map { index in
                    Result { try UpstreamServerSet.addresses(of: servers.servers[index], resolver: servers.resolver) }
                }
            }.map { results in
                for (slot, result) in results.enumerated() {
                    let index = servers.namedServers[slot]
                    let name = servers.names[index]
                    switch result {
                    case .success(let addresses):
                        if failing.withLockedValue({ $0.remove(index) }) != nil {
                            logger.info("upstream \(name) resolves again")
                        }
                        let previous = servers.addresses(of: index)
                        if servers.replaceAddresses(of: index, with: addresses) {
                            logger.info("upstream \(name) resolves to other addresses; new connections go to them", metadata: [
                                "addresses": "\(addresses.map(\.ipText))", "previous": "\(previous.map(\.ipText))",
                            ])
                            changed(index, addresses)
                        }
                    case .failure(let error):
                        failures[slot].increment()
                        if failing.withLockedValue({ $0.insert(index).inserted }) {
                            logger.error("upstream \(name): \(error); keeping its last addresses until a lookup succeeds", metadata: [
                                "addresses": "\(servers.addresses(of: index).map(\.ipText))",
                            ])
                        }
                    }
                }
            }
        }
        return UpstreamAddressRefresher(task: task, eventLoop: eventLoop)
    }

    /// Stops resolving; completes once a round in progress has ended, so no lookup's result
    /// arrives on an event loop after the loops shut down.
    func stop() -> EventLoopFuture<Void> {
        let stopped = eventLoop.makePromise(of: Void.self)
        task.cancel(promise: stopped)
        return stopped.futureResult
    }
}

extension SocketAddress {
    /// The address without the host name NIO keeps beside it ("10.0.0.7:80", "[fd00::7]:80").
    fileprivate var ipText: String {
        let ip = ipAddress ?? "?"
        return (self.protocol == .inet6 ? "[\(ip)]" : ip) + ":\(port ?? 0)"
    }
}
