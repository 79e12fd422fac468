// LoopYieldMetricTests: a loop's LoopTurn yields are counted in gatehouse_event_loop_yields_total.
import GatehouseTesting
import Testing
@testable import GatehouseServer

@Suite struct LoopYieldMetricTests {
    /// The count is kept per loop and reaches the registry (at 0 before any) when the loop
    /// publishes, as a scrape has every loop do.
    @Test func yieldsAreCountedWhenTheLoopPublishes() {
        let metrics = GatehouseMetrics()
        let recorder = RequestMetricsRecorder(metrics: metrics)
        #expect(PrometheusText(metrics.render()).value(GatehouseMetrics.Name.loopYields) == 0)
        recorder.loopYielded()
        recorder.loopYielded()
        #expect(PrometheusText(metrics.render()).value(GatehouseMetrics.Name.loopYields) == 0)
        recorder.publish()
        #expect(PrometheusText(metrics.render()).value(GatehouseMetrics.Name.loopYields) == 2)
    }

    /// Hits pipelined on one connection keep its loop busy for many milliseconds in a row: the
    /// loop yields between them, and `/metrics` counts it.
    @Test func aLoopServingWithoutABreakIsCounted() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respond(headers: [("Cache-Control", "max-age=600")], body: Array("hit".utf8))
        })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET /hot HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse()?.status == 200)
        let count = 3_000
        try await connection.write(String(repeating: "GET /hot HTTP/1.1\r\nHost: t\r\n\r\n", count: count))
        for _ in 0..<count {
            guard try await connection.readResponse() != nil else { break }
        }
        let metrics = PrometheusText(try await TestHTTPClient.request(port: proxy.adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_requests_total", ["method": "GET", "code": "200", "cache": "hit"]) == Double(count))
        #expect((metrics.value(GatehouseMetrics.Name.loopYields) ?? 0) > 0)
        try await connection.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
