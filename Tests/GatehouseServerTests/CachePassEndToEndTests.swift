// CachePassEndToEndTests: URLs known absent and unstorable skip the lookup on their event loop — and stop doing so when they should.
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import Testing

/// Each test talks over one keep-alive connection, so every request lands on the same event
/// loop and meets the memo the previous ones left there.
@Suite struct CachePassEndToEndTests {
    private static let unstorable = TestUpstreamBehaviour.respond(headers: [("Cache-Control", "no-store")], body: Array("private".utf8))

    private static func cacheable(_ body: String, extra: [(String, String)] = []) -> TestUpstreamBehaviour {
        .respond(headers: [("Cache-Control", "max-age=60")] + extra, body: Array(body.utf8))
    }

    /// Runs `body` with one connection to a proxy in front of `behaviour`; `requests` is how many
    /// the upstream must have received by the end.
    private static func withOneConnection(
        expectingUpstreamRequests requests: Int,
        to behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour,
        _ body: (TestHTTPClient) async throws -> Void
    ) async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: behaviour)
        let client = try await TestHTTPClient.connect(port: proxy.port)
        try await body(client)
        #expect(upstream.receivedRequests.count == requests)
        try await client.close()
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func anUnstorableURLIsStoredOnceItsMarkLapses() async throws {
        let storable = NIOLockedValueBox(false)
        try await Self.withOneConnection(expectingUpstreamRequests: 3, to: { _ in
            storable.withLockedValue { $0 } ? Self.cacheable("public") : Self.unstorable
        }) { client async throws in
            #expect(try await client.send("GET", "/p").header("cache-status") == "gatehouse; fwd=uri-miss")
            storable.withLockedValue { $0 = true }
            // While the mark holds, the URL goes upstream as a miss that stores nothing.
            let marked = try await client.send("GET", "/p")
            #expect(marked.bodyString == "public")
            #expect(marked.header("cache-status") == "gatehouse; fwd=uri-miss")
            // The mark's lifetime is what is under test: wait it out.
            try await Task.sleep(for: .nanoseconds(Int64(CachePassMemo.markDuration) + 200_000_000))
            #expect(try await client.send("GET", "/p").header("cache-status") == "gatehouse; fwd=uri-miss; stored")
            #expect(try await client.send("GET", "/p").header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        }
    }

    @Test func aStoreOfAnyURLEndsTheMarks() async throws {
        let storable = NIOLockedValueBox(false)
        try await Self.withOneConnection(expectingUpstreamRequests: 3, to: { request in
            let storableNow = request.uri == "/other" || storable.withLockedValue { $0 }
            return storableNow ? Self.cacheable("public") : Self.unstorable
        }) { client async throws in
            #expect(try await client.send("GET", "/p").header("cache-status") == "gatehouse; fwd=uri-miss")
            storable.withLockedValue { $0 = true }
            #expect(try await client.send("GET", "/other").header("cache-status") == "gatehouse; fwd=uri-miss; stored")
            // The store may have been of /p's key for all the memo knows: /p is looked up again.
            #expect(try await client.send("GET", "/p").header("cache-status") == "gatehouse; fwd=uri-miss; stored")
            #expect(try await client.send("GET", "/p").header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        }
    }

    @Test func anUnstorableVariantDoesNotHideTheStoredOnes() async throws {
        try await Self.withOneConnection(expectingUpstreamRequests: 2, to: { request in
            request.header("accept-language") == "en"
                ? Self.cacheable("en", extra: [("Vary", "Accept-Language")])
                : .respond(headers: [("Cache-Control", "no-store"), ("Vary", "Accept-Language")], body: Array("fr".utf8))
        }) { client async throws in
            let english = [("Accept-Language", "en")]
            #expect(try await client.send("GET", "/v", headers: english).header("cache-status") == "gatehouse; fwd=uri-miss; stored")
            #expect(try await client.send("GET", "/v", headers: [("Accept-Language", "fr")]).header("cache-status") == "gatehouse; fwd=vary-miss")
            let hit = try await client.send("GET", "/v", headers: english)
            #expect(hit.bodyString == "en")
            #expect(hit.header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        }
    }

    @Test func aHEADLeavesNoMark() async throws {
        try await Self.withOneConnection(expectingUpstreamRequests: 2, to: { _ in Self.cacheable("body") }) { client async throws in
            // A HEAD's response is never stored, but that says nothing of the URL's GET.
            #expect(try await client.send("HEAD", "/h").header("cache-status") == "gatehouse; fwd=uri-miss")
            #expect(try await client.send("GET", "/h").header("cache-status") == "gatehouse; fwd=uri-miss; stored")
            #expect(try await client.send("GET", "/h").header("cache-status")?.hasPrefix("gatehouse; hit") == true)
        }
    }

    @Test func aMarkedURLPassesTheClientsConditionalsAlong() async throws {
        let validators = NIOLockedValueBox<[String?]>([])
        try await Self.withOneConnection(expectingUpstreamRequests: 2, to: { request in
            let validator = request.header("if-none-match")
            validators.withLockedValue { $0.append(validator) }
            return validator == "\"t\""
                ? .respond(status: 304, headers: [("Cache-Control", "no-store"), ("ETag", "\"t\"")])
                : .respond(headers: [("Cache-Control", "no-store"), ("ETag", "\"t\"")], body: Array("full".utf8))
        }) { client async throws in
            #expect(try await client.send("GET", "/c").status == 200)
            // Nothing is stored for a marked URL, so the origin may answer the client's validator itself.
            let conditional = try await client.send("GET", "/c", headers: [("If-None-Match", "\"t\"")])
            #expect(conditional.status == 304)
            #expect(conditional.header("cache-status") == "gatehouse; fwd=uri-miss")
            #expect(validators.withLockedValue { $0 } == [nil, "\"t\""])
        }
    }
}
