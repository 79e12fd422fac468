// ProxyHarness+Gauges: waiting for a gauge or counter of the proxy's /metrics to reach a value.
import GatehouseTesting

extension ProxyHarness {
    /// Scrapes `/metrics` until `name` (with `labels`) reads `value`, at most 500 times (each
    /// scrape is a round trip through the admin listener, so no sleep between them); whether it did.
    func waitForGauge(_ name: String, _ labels: [String: String] = [:], toRead value: Double) async throws -> Bool {
        try await waitForMetric(name, labels) { $0 == value }
    }

    /// As `waitForGauge`, for a counter to reach at least `value`.
    func waitForCounter(_ name: String, _ labels: [String: String] = [:], toReach value: Double) async throws -> Bool {
        try await waitForMetric(name, labels) { $0 >= value }
    }

    private func waitForMetric(_ name: String, _ labels: [String: String], until holds: (Double) -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            let metrics = PrometheusText(try await TestHTTPClient.request(port: adminPort, "GET", "/metrics").bodyString)
            if let read = metrics.value(name, labels), holds(read) { return true }
        }
        return false
    }
}
