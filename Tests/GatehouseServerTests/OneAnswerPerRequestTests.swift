// OneAnswerPerRequestTests: a request answered while its body is read and dropped gets no second answer when that body turns out bad or cut.
import GatehouseCore
import GatehouseTesting
import NIOCore
import Testing

/// A 429, a 401 or an origin's early answer goes out while the request's body is still coming;
/// the rest is read and dropped. When it then turns out malformed (a bad chunk) or cut (FIN),
/// the connection used to answer the same request again (`400 … Connection: close`) and count a
/// request that never was (`OTHER 400`). It just closes now, after the answer it had.
@Suite struct OneAnswerPerRequestTests {
    /// A proxy whose only policy admits one request a minute per client.
    static func startLimited() async throws -> (ProxyHarness, TestUpstreamServer) {
        try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.trustedProxies = []
            config.rateLimits.policies = [RateLimitPolicyConfig(name: "per-ip", key: .ip, limit: 1, window: .seconds(60))]
        }
    }

    /// After `first` (with the start of its body) is answered with `status`, sends `rest`, or
    /// half-closes when it is nil: the connection must close with nothing more said.
    static func expectOneAnswer(
        port: Int, adminPort: Int, first: String, status: Int, rest: String?
    ) async throws {
        let connection = try await RawHTTPConnection.connect(port: port)
        try await connection.write(first)
        let answer = try #require(try await connection.readResponse())
        #expect(answer.status == status)
        if let rest {
            try await connection.write(rest)
        } else {
            try await connection.closeOutput()
        }
        #expect(try await connection.waitForClose())
        #expect(String(decoding: connection.unparsedBytes, as: UTF8.self) == "", "a second answer")
        let metrics = PrometheusText(try await TestHTTPClient.request(port: adminPort, "GET", "/metrics").bodyString)
        #expect(metrics.value("gatehouse_requests_total", ["code": "400"]) == nil)
        #expect(metrics.value("gatehouse_requests_total", ["code": "\(status)"]) == 1)
        #expect(metrics.value("gatehouse_requests_in_flight") == 0)
    }

    static let chunkedStart = "POST /limited HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"

    @Test func aBadChunkAfterA429Closes() async throws {
        let (proxy, upstream) = try await Self.startLimited()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
        try await Self.expectOneAnswer(port: proxy.port, adminPort: proxy.adminPort, first: Self.chunkedStart, status: 429, rest: "zz\r\n")
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func aFINInsideTheBodyAfterA429Closes() async throws {
        let (proxy, upstream) = try await Self.startLimited()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
        let first = "POST /limited HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789"
        try await Self.expectOneAnswer(port: proxy.port, adminPort: proxy.adminPort, first: first, status: 429, rest: nil)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A 429 to an upload whose connection it closes: the rest of the body is read and dropped
    /// before the close, which used to come at once and reset the client's next writes.
    @Test func a429ThatClosesReadsTheBodyFirst() async throws {
        let (proxy, upstream) = try await Self.startLimited()
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
        try await UpstreamFailureTests.expectBodyReadBeforeTheClose(
            port: proxy.port, requestLine: "POST /limited HTTP/1.1\r\nHost: t\r\nConnection: close", status: 429
        )
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// The origin refuses the upload from its head (413); the body after that, dropped, has a bad chunk.
    @Test func aBadChunkAfterAnEarlyOriginAnswerCloses() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in
            .respondBeforeBody(status: 413, body: Array("too big".utf8))
        })
        try await Self.expectOneAnswer(port: proxy.port, adminPort: proxy.adminPort, first: Self.chunkedStart, status: 413, rest: "zz\r\n")
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
