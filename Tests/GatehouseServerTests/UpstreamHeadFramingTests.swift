// UpstreamHeadFramingTests: a head Gatehouse re-sends or makes up for a request (a background refresh, a revalidation's refetch) never promises a body that doesn't follow.
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Through real sockets, to an origin that answers a request from its head and then reads and
/// drops the body the head declared (`HeadFirstOrigin`, as nginx serving a file or Node do). A
/// head with `Content-Length: N` sent without its N bytes made such an origin read the next
/// request on the pooled connection as that body, and run a request hidden in that one's body:
/// an attacker choosing N had its request answered, and cached, under another URL.
@Suite struct UpstreamHeadFramingTests {
    typealias Answer = HeadFirstOrigin.Answer

    /// A request of its own when the origin reads it where a request may start.
    static let smuggled = "GET /evil HTTP/1.1\r\nHost: t\r\n\r\n"

    /// A GET carrying `smuggled` as its body: harmless while its head and body reach the origin
    /// as they were sent; run when the origin takes its head for the body of a request before it.
    static func carrier(_ path: String, id: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: t\r\nX-Request-Id: \(id)\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n" + smuggled
    }

    /// What the origin answers for the paths every test shares.
    static func answer(_ request: HeadFirstRequest) -> Answer {
        switch request.path {
        case "/victim": Answer(fields: [("Cache-Control", "max-age=600")], body: "victim")
        case "/evil": Answer(fields: [("Cache-Control", "max-age=600")], body: "evil")
        default: Answer(fields: [("Cache-Control", "no-store")], body: "other")
        }
    }

    /// An origin answering `path` with `answer` (and the shared paths as `answer(_:)` does), a
    /// proxy in front, and a connection on which `path` has been fetched once (its answer
    /// `first`). With the size of the upstream head of `carrier("/victim", …)` as the origin
    /// reads it — the attacker's N — measured with a carrier of the same size to a URL of no interest.
    static func start(
        _ path: String, first: String, answer: @escaping @Sendable (HeadFirstRequest) -> Answer
    ) async throws -> (HeadFirstOrigin, ProxyHarness, RawHTTPConnection, carrierHeadBytes: Int) {
        let origin = try await HeadFirstOrigin.start { request in
            request.path == path ? answer(request) : Self.answer(request)
        }
        let proxy = try await ProxyHarness.start(upstreamPorts: [origin.port])
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        try await connection.write("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse()?.bodyString == first)
        try await connection.write(carrier("/probe1", id: "carrier-1"))
        #expect(try await connection.readResponse()?.bodyString == "other")
        let probe = try #require(origin.requests.last { $0.path == "/probe1" })
        return (origin, proxy, connection, probe.headBytes)
    }

    /// Sends the carrier for /victim on the same client connection (so through the same
    /// loop's pool, on the origin connection the earlier exchanges left idle): /victim must be
    /// answered as itself (a GET with a body bypasses the cache), then fetched and cached as
    /// itself, and the origin must never have read /evil.
    static func expectNoSmuggledRequest(_ connection: RawHTTPConnection, _ origin: HeadFirstOrigin) async throws {
        try await connection.write(carrier("/victim", id: "carrier-2"))
        let carried = try #require(try await connection.readResponse())
        #expect(carried.bodyString == "victim")
        #expect(carried.header("cache-status") == "gatehouse; fwd=bypass")
        for _ in 0..<2 {
            try await connection.write("GET /victim HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await connection.readResponse()?.bodyString == "victim")
        }
        try await connection.write("GET /victim HTTP/1.1\r\nHost: t\r\n\r\n")
        let cached = try #require(try await connection.readResponse())
        #expect(cached.bodyString == "victim")
        #expect(cached.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        #expect(!origin.requests.contains { $0.path == "/evil" }, "\(origin.requests.map(\.path))")
    }

    /// A GET with a body whose URL has a stale entry: served the stale copy, it started a
    /// background refresh — a GET of its own — that carried the client's `Content-Length` with
    /// no body after it. A GET with a body now bypasses the cache (`request-body`): it goes
    /// upstream once with its body, and the refresh builds a bodiless head regardless
    /// (`InFlightRequest.bodilessUpstreamHead`).
    @Test func aGETWithABodyOnAStaleEntryGoesUpstreamWithItsBody() async throws {
        let homes = NIOLockedValueBox(0)
        let (origin, proxy, connection, length) = try await Self.start("/home", first: "home-1") { _ in
            let copy = homes.withLockedValue { $0 += 1; return $0 }
            let cacheControl = copy == 1 ? "max-age=0, stale-while-revalidate=60" : "max-age=600"
            return Answer(fields: [("Cache-Control", cacheControl)], body: "home-\(copy)")
        }

        let body = String(repeating: "x", count: length)
        try await connection.write("GET /home HTTP/1.1\r\nHost: t\r\nContent-Length: \(length)\r\n\r\n\(body)")
        let answered = try #require(try await connection.readResponse())
        #expect(answered.bodyString == "home-2")
        #expect(answered.header("cache-status") == "gatehouse; fwd=bypass")
        let sent = try #require(origin.requests.last { $0.path == "/home" })
        #expect(sent.declaredLength == length)
        try await Self.expectNoSmuggledRequest(connection, origin)
        try await connection.close()
        try await proxy.stop()
        try await origin.shutdown()
    }

    /// A GET with a body finds its entry in need of revalidation. Revalidated conditionally, a
    /// 304 whose validator matches no stored entry had it sent again, with `Content-Length` and
    /// without the body (gone upstream with the first try). Now a request with a body bypasses
    /// the cache, and is never made conditional either: it goes once, body and all.
    @Test func aRequestWithABodyIsNotSentTwice() async throws {
        let (origin, proxy, connection, length) = try await Self.start("/doc", first: "doc") { request in
            if request.fields["if-none-match"] != nil {
                return Answer(status: 304, fields: [("ETag", "\"other\"")])  // a validator the cache does not hold
            }
            return Answer(fields: [("ETag", "\"stored\""), ("Cache-Control", "no-cache, max-age=600")], body: "doc")
        }

        let body = String(repeating: "x", count: length)
        try await connection.write("GET /doc HTTP/1.1\r\nHost: t\r\nContent-Length: \(length)\r\n\r\n\(body)")
        let answered = try #require(try await connection.readResponse())
        #expect(answered.status == 200)
        #expect(answered.bodyString == "doc")
        let sent = origin.requests.filter { $0.path == "/doc" }.dropFirst()
        #expect(sent.count == 1)
        #expect(sent.first?.fields["if-none-match"] == nil)
        #expect(sent.first?.declaredLength == length)
        try await Self.expectNoSmuggledRequest(connection, origin)
        try await connection.close()
        try await proxy.stop()
        try await origin.shutdown()
    }
}
