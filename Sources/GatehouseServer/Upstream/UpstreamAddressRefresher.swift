// UpstreamAddressRefresher: resolves the servers given by host name again, every upstream.resolve_interval.
import GatehouseCore
import Logging
import Metrics
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
///
/// `stop` does not wait for a lookup in progress: with a DNS server that does not answer,
/// getaddrinfo blocks for its timeout times its attempts (10 s and more with glibc's defaults),
/// and the exit must not wait for it. A round's results are acted on (and the next round
/// scheduled) under the same lock `stop` takes, only when it has not stopped: once `stop`
/// returns, nothing of the refresher touches an event loop, which may then shut down while a
/// lookup is still blocked on a thread of the pool.
final class UpstreamAddressRefresher: Sendable {
    private struct State {
        var stopped = false
        var nextRound: Scheduled<Void>?
        /// The servers whose last lookup failed: their failure is logged once per streak.
        var failing: Set<Int> = []
    }

    private let state = NIOLockedValueBox(State())
    private let servers: UpstreamServerSet
    private let interval: TimeAmount
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let changed: @Sendable (_ server: Int, _ addresses: [SocketAddress]) -> Void
    /// Per named server: its `gatehouse_upstream_resolve_failures_total` series.
    private let failures: [Metrics.Counter]

    private init(
        servers: UpstreamServerSet, interval: TimeAmount, eventLoop: any EventLoop, metrics: GatehouseMetrics,
        logger: Logger, changed: @escaping @Sendable (_ server: Int, _ addresses: [SocketAddress]) -> Void
    ) {
        self.servers = servers
        self.interval = interval
        self.eventLoop = eventLoop
        self.logger = logger
        self.changed = changed
        self.failures = servers.namedServers.map { index in
            let counter = metrics.counter(GatehouseMetrics.Name.upstreamResolveFailures, ["server": servers.names[index]])
            // Zero up front, so an alert sees the series before the first failure.
            counter.increment(by: 0)
            return counter
        }
    }

    /// Starts resolving `servers`' names every `interval`, with rounds scheduled on `eventLoop`.
    /// `changed` runs with a server's index and addresses when they changed (on a thread of
    /// the pool, under the refresher's lock: it must only hand work on, not wait).
    static func start(
        servers: UpstreamServerSet, every interval: TimeAmount, on eventLoop: any EventLoop, metrics: GatehouseMetrics,
        logger: Logger, changed: @escaping @Sendable (_ server: Int, _ addresses: [SocketAddress]) -> Void
    ) -> UpstreamAddressRefresher {
        let refresher = UpstreamAddressRefresher(
            servers: servers, interval: interval, eventLoop: eventLoop, metrics: metrics, logger: logger, changed: changed
        )
        refresher.state.withLockedValue { refresher.scheduleRound(&$0) }
        return refresher
    }

    /// Stops resolving: no round starts after this, and a lookup in progress is not waited for;
    /// its results are dropped.
    func stop() {
        state.withLockedValue { state in
            state.stopped = true
            state.nextRound?.cancel()
            state.nextRound = nil
        }
    }

    /// Called with the lock held.
    private func scheduleRound(_ state: inout State) {
        guard !state.stopped else { return }
        state.nextRound = eventLoop.scheduleTask(in: interval) { [self] in
            NIOThreadPool.singleton.submit { [self] workState in
                guard case .active = workState else { return }
                let results = servers.namedServers.map { index in
                    Result { try UpstreamServerSet.addresses(of: servers.servers[index], resolver: servers.resolver) }
                }
                self.state.withLockedValue { state in
                    guard !state.stopped else { return }
                    apply(results, failing: &state.failing)
                    scheduleRound(&state)
                }
            }
        }
    }

    /// Called with the lock held.
    private func apply(_ results: [Result<[SocketAddress], any Error>], failing: inout Set<Int>) {
        for (slot, result) in results.enumerated() {
            let index = servers.namedServers[slot]
            let name = servers.names[index]
            switch result {
            case .success(let addresses):
                if failing.remove(index) != nil {
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
                if failing.insert(index).inserted {
                    logger.error("upstream \(name): \(error); keeping its last addresses until a lookup succeeds", metadata: [
                        "addresses": "\(servers.addresses(of: index).map(\.ipText))",
                    ])
                }
            }
        }
    }
}

extension SocketAddress {
    /// The address without the host name NIO keeps beside it ("10.0.0.7:80", "[fd00::7]:80").
    fileprivate var ipText: String {
        let ip = ipAddress ?? "?"
        return (self.protocol == .inet6 ? "[\(ip)]" : ip) + ":\(port ?? 0)"
    }
}
