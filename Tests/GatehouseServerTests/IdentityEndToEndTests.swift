// IdentityEndToEndTests: users from JWTs and API keys drive per-user limits and per-user cache
// entries; invalid credentials are 401, never anonymous.
import Foundation
import GatehouseCore
import GatehouseTesting
import NIOConcurrencyHelpers
import Testing

@Suite struct IdentityEndToEndTests {
    static let secret = "a-test-secret-that-is-long-enough-for-hs256-32b"

    /// Starts a proxy whose JWT secret lives in a variable unique to the test.
    private static func start(
        behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour,
        configure: (inout GatehouseConfig) -> Void = { _ in }
    ) async throws -> (ProxyHarness, TestUpstreamServer) {
        let variable = "GATEHOUSE_TEST_JWT_\(UInt32.random(in: 0...UInt32.max))"
        setenv(variable, secret, 1)
        return try await ProxyHarness.start(behaviour: behaviour) { config in
            config.identity.jwt = JWTConfig(secretEnv: variable)
            configure(&config)
        }
    }

    private static func bearer(_ claims: [String: Any], secret: String = secret, alg: String = "HS256") -> [(String, String)] {
        [("Authorization", "Bearer " + TestJWT.make(claims, secret: secret, alg: alg))]
    }

    @Test func invalidCredentialsAre401() async throws {
        let (proxy, upstream) = try await Self.start(behaviour: { _ in .respond() })
        let now = TestJWT.now
        let valid = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: Self.bearer(["sub": "alice", "exp": now + 60]))
        #expect(valid.status == 200)
        let cases: [[(String, String)]] = [
            Self.bearer(["sub": "alice", "exp": now - 120]),                       // expired beyond leeway
            Self.bearer(["sub": "alice", "exp": now + 60], secret: "another-secret-also-long-enough-32b!!"),  // bad signature
            Self.bearer(["sub": "alice", "exp": now + 60], alg: "none"),          // wrong algorithm
            Self.bearer(["sub": "alice", "nbf": now + 600]),                      // not yet valid
            Self.bearer(["exp": now + 60]),                                        // no user claim
            [("Authorization", "Bearer not.a.jwt")],
        ]
        for headers in cases {
            let refused = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: headers)
            #expect(refused.status == 401)
            #expect((refused.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "UNAUTHENTICATED")
        }
        // Within the leeway (30 s by default) a just-expired token still passes.
        let leeway = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: Self.bearer(["sub": "alice", "exp": now - 5]))
        #expect(leeway.status == 200)
        #expect(upstream.receivedRequests.count == 2)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// A bad or expired token is no way around the limits: the policies that need no user count
    /// it (401 while within them, then 429), and its 401 says what is left.
    @Test func invalidCredentialsCountAgainstAddressLimits() async throws {
        let (proxy, upstream) = try await Self.start(behaviour: { _ in .respond() }) { config in
            config.rateLimits.policies = [
                RateLimitPolicyConfig(name: "per-ip", key: .ip, limit: 2, window: .seconds(60)),
                RateLimitPolicyConfig(name: "per-user", key: .user, limit: 100, window: .seconds(60)),
            ]
        }
        let expired = Self.bearer(["sub": "alice", "exp": TestJWT.now - 600])
        var responses: [TestHTTPResponse] = []
        for _ in 0..<3 {
            responses.append(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: expired))
        }
        #expect(responses.map(\.status) == [401, 401, 429])
        #expect(responses[0].header("ratelimit") == #""per-ip";r=1;t=60"#)
        #expect(responses[0].header("www-authenticate") != nil)
        #expect(upstream.receivedRequests.isEmpty)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    /// One shared secret often signs tokens for several services. With `issuer` and `audience`
    /// set, a token for another service — genuine signature, foreign `iss` or `aud` — is refused
    /// as a forgery is: 401 UNAUTHENTICATED in JSON, counted by the address's limit all the same.
    @Test func tokensForAnotherIssuerOrAudienceAre401() async throws {
        let (proxy, upstream) = try await Self.start(behaviour: { _ in .respond() }) { config in
            config.identity.jwt?.issuer = "https://auth.example.com"
            config.identity.jwt?.audiences = ["orders-api", "gatehouse"]
            config.rateLimits.policies = [
                RateLimitPolicyConfig(name: "per-ip", key: .ip, limit: 4, window: .seconds(60)),
                RateLimitPolicyConfig(name: "per-user", key: .user, limit: 100, window: .seconds(60)),
            ]
        }
        let issuer = "https://auth.example.com"
        let claims: [String: Any] = ["sub": "alice", "exp": TestJWT.now + 600]
        let ours = claims.merging(["iss": issuer, "aud": ["billing", "gatehouse"]]) { $1 }
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: Self.bearer(ours)).status == 200)
        let foreign: [[String: Any]] = [
            claims.merging(["iss": "https://auth.billing.example.com", "aud": "gatehouse"]) { $1 },
            claims.merging(["iss": issuer, "aud": "billing"]) { $1 },
            claims.merging(["iss": issuer]) { $1 },
        ]
        for token in foreign {
            let refused = try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: Self.bearer(token))
            #expect(refused.status == 401)
            #expect(refused.header("content-type") == "application/json")
            #expect((refused.jsonObject()?["error"] as? [String: Any])?["code"] as? String == "UNAUTHENTICATED")
        }
        // Four requests from this address so far, three of them refused: the limit is spent.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: Self.bearer(ours)).status == 429)
        #expect(upstream.receivedRequests.count == 1)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func perUserLimitsFollowTheUserAcrossAddresses() async throws {
        let (proxy, upstream) = try await Self.start(behaviour: { _ in .respond() }) { config in
            config.server.trustedProxies = [IPNetwork(parsing: "127.0.0.1/32")].compactMap { $0 }
            config.rateLimits.policies = [RateLimitPolicyConfig(name: "per-user", key: .user, limit: 2, window: .seconds(60))]
        }
        let alice = Self.bearer(["sub": "alice", "exp": TestJWT.now + 600])
        var statuses: [Int] = []
        for address in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
            let response = try await TestHTTPClient.request(
                port: proxy.port, "GET", "/", headers: alice + [("X-Forwarded-For", address)]
            )
            statuses.append(response.status)
        }
        #expect(statuses == [200, 200, 429])
        // Another user has a quota of their own; anonymous requests are not counted by a user policy.
        let bob = Self.bearer(["sub": "bob", "exp": TestJWT.now + 600])
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: bob).status == 200)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").status == 200)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/").header("ratelimit-policy") == nil)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func apiKeysIdentifyUsersWithoutBeingLogged() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { _ in .respond() }) { config in
            config.server.accessLog = .file(path: file.path)
            config.rateLimits.policies = [RateLimitPolicyConfig(name: "per-user", key: .user, limit: 1, window: .seconds(60))]
        }
        let key = [("X-API-Key", "sk_live_very_secret_123")]
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: key).status == 200)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: key).status == 429)
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: [("X-API-Key", "another")]).status == 200)
        #expect(await proxy.server.drain(timeout: .seconds(5)))
        let log = try String(contentsOf: file, encoding: .utf8)
        #expect(!log.contains("sk_live_very_secret_123"))
        let users = log.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["user"] as? String
        }
        #expect(users.count == 3)
        #expect(users[0] == users[1] && users[0] != users[2])
        try await upstream.shutdown()
    }

    /// DESIGN §9 logs the user hashed, whatever named it: a JWT `sub` (often an email address)
    /// never appears in the access log, only its stable digest.
    @Test func jwtUsersAreLoggedAsADigest() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: file) }
        let (proxy, upstream) = try await Self.start(behaviour: { _ in .respond() }) { config in
            config.server.accessLog = .file(path: file.path)
        }
        let alice = Self.bearer(["sub": "alice@example.com", "exp": TestJWT.now + 600])
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/", headers: alice).status == 200)
        #expect(await proxy.server.drain(timeout: .seconds(5)))
        let log = try String(contentsOf: file, encoding: .utf8)
        #expect(!log.contains("alice"))
        let user = log.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["user"] as? String
        }.first
        // `printf %s alice@example.com | sha256sum`, first 32 hex digits.
        #expect(user == "u:ff8d9819fc0e12bf0d24892e45987e24")
        try await upstream.shutdown()
    }

    /// An API key is a credential as much as `Authorization` (RFC 9111 §3.5): a response to it
    /// that the origin did not mark shareable is not stored, so one key's data never reaches
    /// another; marked `public`, it is shared as for `Authorization`.
    @Test func responsesToAPIKeyRequestsAreNotSharedUnlessPublic() async throws {
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            let who = request.header("x-api-key") ?? "nobody"
            let control = request.uri == "/public" ? "public, max-age=60" : "max-age=60"
            return .respond(headers: [("Cache-Control", control)], body: Array("data of \(who)".utf8))
        })
        let get = { (path: String, key: String) in
            try await TestHTTPClient.request(port: proxy.port, "GET", path, headers: [("X-API-Key", key)])
        }
        #expect(try await get("/me", "key-of-alice").bodyString == "data of key-of-alice")
        let bob = try await get("/me", "key-of-bob")
        #expect(bob.bodyString == "data of key-of-bob")
        #expect(bob.header("cache-status")?.contains("hit") == false)
        #expect(try await get("/public", "key-of-alice").bodyString == "data of key-of-alice")
        #expect(try await get("/public", "key-of-bob").header("cache-status")?.contains("hit") == true)
        try await proxy.stop()
        try await upstream.shutdown()
    }

    @Test func perUserCacheEntriesNeverCrossUsers() async throws {
        let (proxy, upstream) = try await Self.start(behaviour: { request in
            let who = request.header("authorization").map { String($0.suffix(12)) } ?? "nobody"
            return .respond(headers: [("Cache-Control", "max-age=60")], body: Array("profile of \(who)".utf8))
        }) { config in
            var rule = CacheRuleConfig(pathPrefix: "/me")
            rule.perUser = true
            config.cache.rules = [rule]
        }
        let alice = Self.bearer(["sub": "alice", "exp": TestJWT.now + 600])
        let bob = Self.bearer(["sub": "bob", "exp": TestJWT.now + 600])
        let alice1 = try await TestHTTPClient.request(port: proxy.port, "GET", "/me", headers: alice)
        let bob1 = try await TestHTTPClient.request(port: proxy.port, "GET", "/me", headers: bob)
        let alice2 = try await TestHTTPClient.request(port: proxy.port, "GET", "/me", headers: alice)
        let bob2 = try await TestHTTPClient.request(port: proxy.port, "GET", "/me", headers: bob)
        #expect(alice1.bodyString != bob1.bodyString)
        #expect(alice2.bodyString == alice1.bodyString)
        #expect(bob2.bodyString == bob1.bodyString)
        #expect(alice2.header("cache-status")?.contains("hit") == true)
        #expect(bob2.header("cache-status")?.contains("hit") == true)
        // Anonymous requests never see a per-user entry.
        let anonymous = try await TestHTTPClient.request(port: proxy.port, "GET", "/me")
        #expect(anonymous.bodyString == "profile of nobody")
        #expect(upstream.receivedRequests.count == 3)
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
