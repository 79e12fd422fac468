// CacheKeyTests: cache keys, targets and rule plans — stable, collision-free, normalised where they should be.

import GatehouseTesting
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct CacheKeyTests {
    static let keys = CacheKeyBuilder(version: "1")

    static func target(_ path: String, host: String = "example.com", scheme: String = "http") -> CacheTarget {
        CacheTarget(scheme: scheme, host: host, target: path)
    }

    @Test func hasAStableReadableLayout() {
        let primary = Self.keys.primaryKey(for: Self.target("/a?b=1"), namespace: nil, namespaceVersion: 0, user: nil)
        let body = "u1:1,0:,1:0,4:http,11:example.com,6:/a?b=1,"
        #expect(primary.url.value == "{" + FNV1a.hex(FNV1a.hash64(body.utf8)) + "}" + body)
        #expect(primary.value == primary.url.value + "s")
        #expect(primary.url.hashTag == "{" + FNV1a.hex(FNV1a.hash64(body.utf8)) + "}")
        // FNV-1a test vectors: the same in every process, unlike Swift's Hasher.
        #expect(FNV1a.hash64("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a.hash64("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a.hash32("a".utf8) == 0xe40c_292c)
    }

    @Test func hostIsCaseInsensitiveAndDefaultPortsDrop() {
        let plain = Self.keys.primaryKey(for: Self.target("/x"), namespace: nil, namespaceVersion: 0, user: nil)
        for host in ["EXAMPLE.com", "example.com:80", "Example.Com:80"] {
            #expect(Self.keys.primaryKey(for: Self.target("/x", host: host), namespace: nil, namespaceVersion: 0, user: nil) == plain)
        }
        #expect(Self.keys.primaryKey(for: Self.target("/x", host: "example.com:8080"), namespace: nil, namespaceVersion: 0, user: nil) != plain)
        #expect(Self.keys.primaryKey(for: Self.target("/x", scheme: "https"), namespace: nil, namespaceVersion: 0, user: nil) != plain)
        #expect(CacheTarget(scheme: "HTTPS", host: "a:443", target: "/").host == "a")
    }

    @Test func pathAndQueryArePreservedExactly() {
        let targets = ["/a?x=1&y=2", "/a?y=2&x=1", "/a?x=%41&y=2", "/a?x=A&y=2", "/A?x=1&y=2", "/a", "/a?", "/a/"]
        let values = Set(targets.map { Self.keys.primaryKey(for: Self.target($0), namespace: nil, namespaceVersion: 0, user: nil).value })
        #expect(values.count == targets.count)
    }

    @Test func versionsAndNamespacesSeparateKeys() {
        let target = Self.target("/api/users")
        let base = Self.keys.urlKey(for: target, namespace: "users", namespaceVersion: 1)
        #expect(base != Self.keys.urlKey(for: target, namespace: "users", namespaceVersion: 2))
        #expect(base != Self.keys.urlKey(for: target, namespace: "other", namespaceVersion: 1))
        #expect(base != Self.keys.urlKey(for: target, namespace: nil, namespaceVersion: 1))
        #expect(base != CacheKeyBuilder(version: "2").urlKey(for: target, namespace: "users", namespaceVersion: 1))
        #expect(base == Self.keys.urlKey(for: target, namespace: "users", namespaceVersion: 1))
    }

    @Test func varyValuesSelectVariants() {
        func key(_ headers: [(String, String)]) -> CacheKey {
            CacheFixtures.key("/x", vary: ["accept-encoding", "accept-language"], headers)
        }
        let gzip = key([("Accept-Encoding", "gzip")])
        #expect(gzip != key([("Accept-Encoding", "br")]))
        #expect(gzip == key([("accept-encoding", "  gzip\t")]), "names are case-insensitive and values trimmed")
        #expect(key([]) != key([("Accept-Encoding", "")]), "absent differs from empty")
        #expect(key([("Accept-Encoding", "gzip"), ("Accept-Encoding", "br")]) == key([("Accept-Encoding", "gzip, br")]))
        #expect(gzip != key([("Accept-Encoding", "gzip"), ("Accept-Language", "en")]))
        #expect(gzip.primary == key([]).primary)
        #expect(gzip.value.hasPrefix(gzip.primary.value))
        // A value cannot impersonate another field: everything is length-prefixed.
        #expect(key([("Accept-Encoding", "a,15:accept-language,=2:en,")]) != key([("Accept-Encoding", "a"), ("Accept-Language", "en")]))
    }

    /// `Vary: Authorization` on a public response must not put bearer tokens into store keys
    /// (Redis key names show in `SCAN` and `MONITOR`): such values are keyed by their digest,
    /// negotiation fields by their value.
    @Test func credentialsSelectVariantsByDigest() {
        func key(_ headers: [(String, String)]) -> CacheKey {
            CacheFixtures.key("/x", vary: ["accept-encoding", "authorization", "cookie"], headers)
        }
        let alice = key([("Authorization", "Bearer secret-token-alice"), ("Cookie", "sid=s3cr3t"), ("Accept-Encoding", "gzip")])
        #expect(!alice.value.contains("secret-token-alice"))
        #expect(!alice.value.contains("s3cr3t"))
        #expect(alice.value.contains("gzip"))
        #expect(alice == key([("Authorization", "Bearer secret-token-alice"), ("Cookie", "sid=s3cr3t"), ("Accept-Encoding", "gzip")]))
        #expect(alice != key([("Authorization", "Bearer secret-token-bob"), ("Cookie", "sid=s3cr3t"), ("Accept-Encoding", "gzip")]))
        #expect(key([]) != key([("Authorization", "")]), "absent still differs from empty")
    }

    @Test func withoutVaryTheKeyIsThePrimaryKey() {
        let key = CacheFixtures.key("/x", [("Accept", "text/html")])
        #expect(key.value == key.primary.value)
    }

    @Test func normalisesVaryNames() {
        #expect(CacheKey.varyNames(of: ["Vary": "Accept-Language, ACCEPT-encoding", "vary": "accept-language"]) == ["accept-encoding", "accept-language"])
        #expect(CacheKey.varyNames(of: [:]) == [])
        #expect(CacheKey.varyNames(of: ["Vary": "Accept, *"]) == nil)
    }

    /// A Redis purge deletes the shared primary by this name, whatever its URL's index says.
    @Test func theURLKeyNamesItsSharedPrimaryKey() {
        for (namespace, version) in [(nil, UInt64(0)), ("users", 7)] {
            let shared = Self.keys.primaryKey(for: Self.target("/a?b"), namespace: namespace, namespaceVersion: version, user: nil)
            #expect(shared.url.sharedPrimary == shared)
            #expect(shared.url.sharedPrimary.url == shared.url)
            #expect(shared.isShared)
            for user in ["alice", "s", ""] {
                let personal = Self.keys.primaryKey(for: Self.target("/a?b"), namespace: namespace, namespaceVersion: version, user: user)
                #expect(!personal.isShared, "user \(user)")
            }
        }
    }

    @Test func perUserKeysDifferPerUserAndNeverMeetSharedKeys() {
        let target = Self.target("/api/me")
        let shared = Self.keys.primaryKey(for: target, namespace: "me", namespaceVersion: 0, user: nil)
        var seen: Set<String> = [shared.value]
        for user in ["alice", "bob", "", "s", "Alice", "alice,", "0:", "5:alice,"] {
            let personal = Self.keys.primaryKey(for: target, namespace: "me", namespaceVersion: 0, user: user)
            #expect(seen.insert(personal.value).inserted, "user \(user) collides")
            #expect(personal.url == shared.url, "one URL key for purging every user's copy")
        }
    }

    @Test func requestsKeyByUserOnlyUnderPerUserRules() {
        let alice = CacheFixtures.request("/api/me", user: "alice")
        let bob = CacheFixtures.request("/api/me", user: "bob")
        let anonymous = CacheFixtures.request("/api/me")
        let keys = CacheFixtures.policy.keys
        #expect(keys.primaryKey(for: alice, namespaceVersion: 0) != keys.primaryKey(for: bob, namespaceVersion: 0))
        #expect(keys.primaryKey(for: alice, namespaceVersion: 0) != keys.primaryKey(for: anonymous, namespaceVersion: 0))
        let sharedAlice = CacheFixtures.request("/api/users", user: "alice")
        let sharedBob = CacheFixtures.request("/api/users", user: "bob")
        #expect(keys.primaryKey(for: sharedAlice, namespaceVersion: 3) == keys.primaryKey(for: sharedBob, namespaceVersion: 3))
    }
}

@Suite struct CacheTargetTests {
    @Test func fromRequests() {
        #expect(CacheTarget(request: CacheFixtures.head(.GET, "/p?q", host: "Host.Example"), scheme: "http")
            == CacheTarget(scheme: "http", host: "host.example", target: "/p?q"))
        #expect(CacheTarget(absoluteURL: "HTTPS://Example.com:443/a#frag") == CacheTarget(scheme: "https", host: "example.com", target: "/a"))
        #expect(CacheTarget(absoluteURL: "http://example.com") == CacheTarget(scheme: "http", host: "example.com", target: "/"))
        #expect(CacheTarget(absoluteURL: "ftp://example.com/a") == nil)
        #expect(CacheTarget(absoluteURL: "/a") == nil)
        #expect(CacheTarget(scheme: "http", host: "a", target: "/p?q").path == "/p")
    }

    @Test(arguments: [
        ("/x/y", "/z", "/z"),
        ("/x/y", "z", "/x/z"),
        ("/x/y", "./z/../w", "/x/w"),
        ("/x/y?q", "?r", "/x/y?r"),
        ("/x/y", "http://example.com/abs", "/abs"),
        ("/x/y", "//example.com/net", "/net"),
        ("/x/y", "/a#frag", "/a"),
    ])
    func resolvesReferences(_ base: String, _ reference: String, _ expected: String) {
        let target = CacheTarget(scheme: "http", host: "example.com", target: base)
        #expect(target.resolving(reference) == CacheTarget(scheme: "http", host: "example.com", target: expected))
    }

    @Test(arguments: ["http://other.example/a", "//other.example/a", "mailto:a@b", "", "  "])
    func refusesOtherHostsAndSchemes(_ reference: String) {
        #expect(CacheTarget(scheme: "http", host: "example.com", target: "/x").resolving(reference) == nil)
    }
}

@Suite struct CacheRulePlanTests {
    static let plan: CacheRulePlan = {
        var users = CacheRuleConfig(pathPrefix: "/api/users")
        users.ttl = .milliseconds(1500)
        users.namespace = "users"
        users.invalidatedBy = ["/api/users", "/api/teams"]
        var teams = CacheRuleConfig(pathPrefix: "/api/teams")
        teams.namespace = "teams"
        teams.invalidatedBy = ["/api/teams"]
        teams.perUser = true
        var api = CacheRuleConfig(pathPrefix: "/api")
        api.ttl = .seconds(5)
        var config = CacheConfig()
        config.rules = [users, teams, api]
        return CacheRulePlan(config: config)
    }()

    @Test func firstMatchingPrefixWins() {
        #expect(Self.plan.rule(for: NormalizedPath("/api/users/7"))?.namespace == "users")
        #expect(Self.plan.rule(for: NormalizedPath("/api/users/7"))?.ttl == 2, "sub-second parts round up")
        #expect(Self.plan.rule(for: NormalizedPath("/api/teams"))?.perUser == true)
        #expect(Self.plan.rule(for: NormalizedPath("/api/other"))?.ttl == 5)
        #expect(Self.plan.rule(for: NormalizedPath("/apis"))?.pathPrefix == "/api", "plain string prefixes, as the config checker assumes")
        #expect(Self.plan.rule(for: NormalizedPath("/static")) == nil)
    }

    @Test func writesBumpEveryNamespaceWhosePrefixMatches() {
        #expect(Self.plan.namespacesInvalidated(byWriteTo: NormalizedPath("/api/teams/3")) == ["users", "teams"])
        #expect(Self.plan.namespacesInvalidated(byWriteTo: NormalizedPath("/api/users")) == ["users"])
        #expect(Self.plan.namespacesInvalidated(byWriteTo: NormalizedPath("/api/other")) == [])
    }

    @Test func rulesAndInvalidationsMatchTheNormalisedPath() {
        for path in ["/%61pi/teams/3", "//api/teams/3", "/api/./teams/3", "/x/../api/teams/3", "/api//teams/3"] {
            #expect(Self.plan.rule(for: NormalizedPath(path))?.namespace == "teams", "\(path)")
            #expect(Self.plan.rule(for: NormalizedPath(path))?.perUser == true, "\(path)")
            #expect(Self.plan.namespacesInvalidated(byWriteTo: NormalizedPath(path)) == ["users", "teams"], "\(path)")
        }
    }

    @Test func policyReadsTheConfig() {
        var config = CacheConfig()
        config.version = "7"
        config.defaultTTL = .seconds(3)
        config.staleIfError = .seconds(60)
        let policy = CachePolicy(config: config)
        #expect(policy.keys.version == "7")
        #expect(policy.defaultTTL == 3)
        #expect(policy.staleWhileRevalidate == 10)
        #expect(policy.staleIfError == 60)
        #expect(policy.maxObjectSize == 1024 * 1024)
    }
}

@Suite struct CacheStatusTests {
    @Test(arguments: [
        (CacheStatus.hit(ttl: 25), "gatehouse; hit; ttl=25", "hit"),
        (.forward(.miss, stored: true), "gatehouse; fwd=miss; stored", "miss"),
        (.forward(.uriMiss), "gatehouse; fwd=uri-miss", "miss"),
        (.forward(.varyMiss, stored: true, collapsed: true), "gatehouse; fwd=vary-miss; stored; collapsed", "miss"),
        (.forward(.bypass), "gatehouse; fwd=bypass", "bypass"),
        (.forward(.method), "gatehouse; fwd=method", "bypass"),
        (.forward(.request, fwdStatus: 200, stored: true), "gatehouse; fwd=request; fwd-status=200; stored", "miss"),
        (.forward(.stale, fwdStatus: 304), "gatehouse; fwd=stale; fwd-status=304", "stale"),
        (.forward(.stale, fwdStatus: 304, ttl: 60, stored: true), "gatehouse; fwd=stale; fwd-status=304; ttl=60; stored", "stale"),
        (.staleWhileRevalidate(ttl: -3), "gatehouse; hit; fwd=stale; ttl=-3", "stale"),
        (.staleIfError(ttl: -40, fwdStatus: 503), "gatehouse; fwd=stale; fwd-status=503; ttl=-40; detail=stale-if-error", "stale"),
        (.staleIfError(ttl: -40, fwdStatus: nil), "gatehouse; fwd=stale; ttl=-40; detail=stale-if-error", "stale"),
    ])
    func formats(_ status: CacheStatus, _ value: String, _ result: String) {
        #expect(status.headerValue == value)
        #expect(status.lookupResult == result)
    }
}
