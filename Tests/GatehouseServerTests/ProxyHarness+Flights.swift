// ProxyHarness+Flights: waiting for requests to queue behind a single-flight fetch.
@testable import GatehouseServer
import GatehouseTesting

extension ProxyHarness {
    /// Whether `count` requests wait on flights within 10 s: joining shows nowhere outside the
    /// process, so the count is looked at every 10 ms.
    func waitForFollowers(_ count: Int) async throws -> Bool {
        try await Polling.until { server.cacheFollowersWaiting >= count }
    }

    /// Whether `count` requests have each either reached `upstream` or joined a flight, within
    /// 10 s: for tests where some requests must go upstream and the rest queue behind them.
    private func waitForArrivals(_ count: Int, at upstream: TestUpstreamServer) async throws -> Bool {
        try await Polling.until { upstream.requestCount + server.cacheFollowersWaiting >= count }
    }

    /// Opens `gate` once `count` requests have arrived as ``waitForArrivals(_:at:)`` counts them,
    /// or after its 10 s bound (the requests then end rather than hang); whether they arrived.
    func open(_ gate: TestGate, onceArrived count: Int, at upstream: TestUpstreamServer) async throws -> Bool {
        let arrived = try await waitForArrivals(count, at: upstream)
        gate.open()
        return arrived
    }
}
