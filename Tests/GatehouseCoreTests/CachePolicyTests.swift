// CachePolicyTests: RFC 9111 storage and freshness decisions as tables of header combinations.

import GatehouseTesting
import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

/// One row: a response (to a request) and what the policy must decide.
struct StorageCase: Sendable, CustomTestStringConvertible {
    var name: String
    var status: UInt = 200
    var response: [(String, String)]
    var path = "/items"
    var requestHeaders: [(String, String)] = []
    var user: String?
    var defaultTTL: Int64 = 0
    var method: HTTPMethod = .GET
    /// nil when stored.
    var refused: CacheNotStoredReason?
    var lifetime: Int64?
    var staleWhileRevalidate: Int64?
    var staleIfError: Int64?
    var alwaysRevalidate = false

    var testDescription: String { name }
}

@Suite struct CacheStoragePolicyTests {
    static let date = HTTPDate.format(CacheFixtures.t0)
    static let cases: [StorageCase] = [
        StorageCase(name: "max-age", response: [("Cache-Control", "max-age=60")], lifetime: 60, staleWhileRevalidate: 10, staleIfError: 300),
        StorageCase(name: "s-maxage beats max-age, no stale", response: [("Cache-Control", "s-maxage=10, max-age=60")], lifetime: 10, staleWhileRevalidate: 0, staleIfError: 0),
        StorageCase(name: "private", response: [("Cache-Control", "private, max-age=60")], refused: .private),
        StorageCase(name: "qualified private", response: [("Cache-Control", "max-age=60, private=\"x-user\"")], refused: .private),
        StorageCase(name: "no-store", response: [("Cache-Control", "no-store")], refused: .noStore),
        StorageCase(name: "no-store wins over max-age", response: [("Cache-Control", "max-age=60"), ("Cache-Control", "NO-STORE")], refused: .noStore),
        StorageCase(name: "Set-Cookie", response: [("Cache-Control", "public, max-age=60"), ("Set-Cookie", "a=b")], refused: .setCookie),
        StorageCase(name: "Vary *", response: [("Cache-Control", "max-age=60"), ("Vary", "Accept, *")], refused: .varyStar),
        StorageCase(name: "Expires - Date", response: [("Date", date), ("Expires", HTTPDate.format(CacheFixtures.t0 + 120))], lifetime: 120),
        StorageCase(name: "Expires without Date", response: [("Expires", HTTPDate.format(CacheFixtures.t0 + 90))], lifetime: 90),
        StorageCase(name: "invalid Expires is in the past", response: [("Date", date), ("Expires", "0")], lifetime: 0, staleWhileRevalidate: 10),
        StorageCase(name: "Expires before Date", response: [("Date", date), ("Expires", HTTPDate.format(CacheFixtures.t0 + -5))], lifetime: 0),
        StorageCase(name: "max-age beats Expires", response: [("Cache-Control", "max-age=5"), ("Date", date), ("Expires", HTTPDate.format(CacheFixtures.t0 + 120))], lifetime: 5),
        StorageCase(name: "rule ttl", response: [], path: "/api/users/1", lifetime: 30),
        StorageCase(name: "Cache-Control beats rule ttl", response: [("Cache-Control", "max-age=5")], path: "/api/users/1", lifetime: 5),
        StorageCase(name: "Expires beats rule ttl", response: [("Expires", HTTPDate.format(CacheFixtures.t0 + 7))], path: "/api/users", lifetime: 7),
        StorageCase(name: "rule ttl beats default_ttl", response: [], path: "/static/a.css", defaultTTL: 20, lifetime: 3600),
        StorageCase(name: "default_ttl", response: [], defaultTTL: 20, lifetime: 20),
        StorageCase(name: "default_ttl 0: not stored", response: [], refused: .noFreshness),
        StorageCase(name: "500 not stored", status: 500, response: [("Cache-Control", "max-age=60")], refused: .status),
        StorageCase(name: "206 not stored", status: 206, response: [("Cache-Control", "max-age=60")], refused: .status),
        StorageCase(name: "302 not stored", status: 302, response: [("Cache-Control", "max-age=60")], refused: .status),
        StorageCase(name: "404 with max-age stored", status: 404, response: [("Cache-Control", "max-age=30")], lifetime: 30),
        StorageCase(name: "404 under a rule stored", status: 404, response: [], path: "/api/users/9", lifetime: 30),
        StorageCase(name: "301 stored", status: 301, response: [("Cache-Control", "max-age=600")], lifetime: 600),
        StorageCase(name: "308 stored", status: 308, response: [("Cache-Control", "max-age=600")], lifetime: 600),
        StorageCase(name: "204 stored", status: 204, response: [("Cache-Control", "max-age=6")], lifetime: 6),
        StorageCase(name: "410 stored", status: 410, response: [("Cache-Control", "max-age=6")], lifetime: 6),
        StorageCase(name: "Authorization without public", response: [("Cache-Control", "max-age=60")], requestHeaders: [("Authorization", "Bearer x")], refused: .authorization),
        StorageCase(name: "Authorization with public", response: [("Cache-Control", "public, max-age=60")], requestHeaders: [("Authorization", "Bearer x")], lifetime: 60),
        StorageCase(name: "Authorization with s-maxage", response: [("Cache-Control", "s-maxage=60")], requestHeaders: [("Authorization", "Bearer x")], lifetime: 60, staleWhileRevalidate: 0),
        StorageCase(name: "Authorization with must-revalidate", response: [("Cache-Control", "must-revalidate, max-age=60")], requestHeaders: [("Authorization", "Bearer x")], lifetime: 60, staleWhileRevalidate: 0, staleIfError: 0),
        StorageCase(name: "Authorization, per_user rule with a user", response: [("Cache-Control", "max-age=60")], path: "/api/me", requestHeaders: [("Authorization", "Bearer x")], user: "alice", lifetime: 60),
        StorageCase(name: "Authorization, per_user rule, no user", response: [("Cache-Control", "max-age=60")], path: "/api/me", requestHeaders: [("Authorization", "Basic eDp5")], refused: .authorization),
        StorageCase(name: "Authorization, user but rule not per_user", response: [("Cache-Control", "max-age=60")], path: "/api/users", requestHeaders: [("Authorization", "Bearer x")], user: "alice", refused: .authorization),
        StorageCase(name: "no-cache: stored, always revalidated, never stale", response: [("Cache-Control", "no-cache, max-age=60")], lifetime: 60, staleWhileRevalidate: 0, staleIfError: 0, alwaysRevalidate: true),
        StorageCase(name: "no-cache without freshness", response: [("Cache-Control", "no-cache"), ("ETag", "\"a\"")], refused: .noFreshness),
        StorageCase(name: "must-revalidate: no stale", response: [("Cache-Control", "max-age=60, must-revalidate")], lifetime: 60, staleWhileRevalidate: 0, staleIfError: 0),
        StorageCase(name: "proxy-revalidate: no stale", response: [("Cache-Control", "max-age=60, proxy-revalidate")], lifetime: 60, staleWhileRevalidate: 0, staleIfError: 0),
        StorageCase(name: "RFC 5861 windows override config", response: [("Cache-Control", "max-age=60, stale-while-revalidate=30, stale-if-error=600")], lifetime: 60, staleWhileRevalidate: 30, staleIfError: 600),
        StorageCase(name: "RFC 5861 window of zero", response: [("Cache-Control", "max-age=60, stale-while-revalidate=0")], lifetime: 60, staleWhileRevalidate: 0, staleIfError: 300),
        StorageCase(name: "must-revalidate overrides RFC 5861", response: [("Cache-Control", "max-age=60, must-revalidate, stale-if-error=600")], lifetime: 60, staleIfError: 0),
        StorageCase(name: "max-age=0 kept for its stale windows", response: [("Cache-Control", "max-age=0")], lifetime: 0, staleWhileRevalidate: 10),
        StorageCase(name: "max-age=0, must-revalidate: nothing to keep", response: [("Cache-Control", "max-age=0, must-revalidate")], refused: .noFreshness),
        StorageCase(name: "invalid max-age is stale", response: [("Cache-Control", "max-age=abc, must-revalidate")], refused: .noFreshness),
        StorageCase(name: "quoted max-age", response: [("Cache-Control", "max-age=\"45\"")], lifetime: 45),
        StorageCase(name: "huge max-age clamps", response: [("Cache-Control", "max-age=99999999999999999999")], lifetime: 2_147_483_648),
        StorageCase(name: "too large", response: [("Cache-Control", "max-age=60"), ("Content-Length", "2000000")], refused: .tooLarge),
        StorageCase(name: "HEAD responses are not stored", response: [("Cache-Control", "max-age=60")], method: .HEAD, refused: .method),
        StorageCase(name: "response Pragma ignored", response: [("Cache-Control", "max-age=60"), ("Pragma", "no-cache")], lifetime: 60),
        StorageCase(name: "already older than its lifetime, no stale", response: [("Cache-Control", "max-age=60, must-revalidate"), ("Age", "60")], refused: .noFreshness),
    ]

    @Test(arguments: cases)
    func decides(_ row: StorageCase) throws {
        let policy = CachePolicy(rules: CacheFixtures.policy.rules, defaultTTL: row.defaultTTL, maxObjectSize: 1024 * 1024)
        let request = CacheFixtures.request(row.path, row.requestHeaders, method: row.method, user: row.user, policy: policy)
        let decision = policy.storageDecision(
            for: CacheFixtures.response(row.status, row.response),
            to: request,
            requestTime: CacheFixtures.t0,
            responseTime: CacheFixtures.t0
        )
        if let refused = row.refused {
            #expect(decision == .doNotStore(refused))
            return
        }
        let plan = try #require(decision.plan, "\(decision)")
        #expect(plan.freshness.lifetime == row.lifetime)
        if let swr = row.staleWhileRevalidate { #expect(plan.freshness.staleWhileRevalidate == swr) }
        if let sie = row.staleIfError { #expect(plan.freshness.staleIfError == sie) }
        #expect(plan.freshness.alwaysRevalidate == row.alwaysRevalidate)
    }

    @Test func storedHeadersLoseHopByHopAndPerResponseFields() throws {
        let response = CacheFixtures.response(200, [
            ("Cache-Control", "max-age=60"), ("Connection", "close, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "5"),
            ("Transfer-Encoding", "chunked"), ("Age", "5"), ("ETag", "\"v1\""), ("Vary", "Accept-Encoding, accept-language"),
            ("Vary", "Accept-Encoding"), ("X-Request-Id", "req-1"), ("RateLimit", "\"per-ip\";r=9;t=60"),
        ])
        let plan = try #require(CacheFixtures.policy.storageDecision(
            for: response, to: CacheFixtures.request(), requestTime: CacheFixtures.t0, responseTime: CacheFixtures.t0
        ).plan)
        // A response without Date is stored with its receipt time (RFC 9110 §6.6.1).
        #expect(plan.headers.map(\.name).sorted() == ["Cache-Control", "Date", "ETag", "Vary", "Vary"])
        #expect(plan.headers.first(name: "date") == HTTPDate.format(CacheFixtures.t0))
        #expect(plan.varyNames == ["accept-encoding", "accept-language"])
        #expect(plan.initialAge == 5)
        #expect(plan.retention == 60 + 300 - 5)
        let entry = plan.entry(body: CacheFixtures.buffer("12345678"))
        #expect(entry.headers.first(name: "content-length") == "8")
        #expect(entry.etag == EntityTag(opaque: "v1"))
    }

    @Test func noContentHasNoContentLength() throws {
        let plan = try #require(CacheFixtures.policy.storageDecision(
            for: CacheFixtures.response(204, [("Cache-Control", "max-age=6"), ("Content-Length", "0")]),
            to: CacheFixtures.request(), requestTime: CacheFixtures.t0, responseTime: CacheFixtures.t0
        ).plan)
        #expect(!plan.entry(body: ByteBuffer()).headers.contains(name: "content-length"))
    }
}

@Suite struct CacheRequestPolicyTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPMethod = .GET
        var headers: [(String, String)] = []
        var bypass: CacheBypassReason?
        var forcesRevalidation = false
        var maxAge: Int64?
        var hasRange = false
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "plain GET"),
        Row(name: "HEAD", method: .HEAD),
        Row(name: "POST", method: .POST, bypass: .method),
        Row(name: "DELETE", method: .DELETE, bypass: .method),
        Row(name: "OPTIONS", method: .OPTIONS, bypass: .method),
        Row(name: "no-store", headers: [("Cache-Control", "no-store")], bypass: .requestNoStore),
        Row(name: "Range", headers: [("Range", "bytes=0-10")], hasRange: true),
        Row(name: "Range on HEAD is ignored", method: .HEAD, headers: [("Range", "bytes=0-10")]),
        Row(name: "X-HTTP-Method-Override", headers: [("X-HTTP-Method-Override", "DELETE")], bypass: .methodOverride),
        Row(name: "X-Method-Override on HEAD", method: .HEAD, headers: [("x-method-override", "PUT")], bypass: .methodOverride),
        Row(name: "no-cache", headers: [("Cache-Control", "no-cache")], forcesRevalidation: true),
        Row(name: "max-age=0", headers: [("Cache-Control", "max-age=0")], forcesRevalidation: true, maxAge: 0),
        Row(name: "max-age=30", headers: [("Cache-Control", "max-age=30")], maxAge: 30),
        Row(name: "Pragma no-cache alone", headers: [("Pragma", "no-cache")], forcesRevalidation: true),
        Row(name: "Pragma ignored with Cache-Control", headers: [("Pragma", "no-cache"), ("Cache-Control", "max-age=30")], maxAge: 30),
        Row(name: "max-stale alone changes nothing", headers: [("Cache-Control", "max-stale=30")]),
        Row(name: "X-HTTP-Method", headers: [("Accept", "*/*"), ("X-HTTP-Method", "PUT")], bypass: .methodOverride),
        Row(name: "other X- fields change nothing", headers: [("X-HTTP-Method-Overrides", "PUT"), ("X-Method", "PUT")]),
        Row(name: "Pragma no-cache in a list, any case", headers: [("PRAGMA", "foo, No-Cache ")], forcesRevalidation: true),
        Row(name: "Pragma without no-cache", headers: [("Pragma", "no-cache-please")]),
        Row(name: "Cache-Control in two lines", headers: [("Cache-Control", "max-age=30"), ("cache-control", "no-cache")], forcesRevalidation: true, maxAge: 30),
    ]

    @Test(arguments: rows)
    func classifies(_ row: Row) {
        let decision = CacheFixtures.policy.classify(CacheFixtures.head(row.method, "/items", row.headers))
        switch decision {
        case .bypass(let reason):
            #expect(reason == row.bypass)
        case .cacheable(let request):
            #expect(row.bypass == nil)
            #expect(request.forcesRevalidation == row.forcesRevalidation)
            #expect(request.maxAge == row.maxAge)
            #expect(request.isHEAD == (row.method == .HEAD))
            #expect(request.hasRange == row.hasRange)
        }
    }

    @Test func readsTargetRuleUserAndAuthorization() {
        let request = CacheFixtures.request("/api/me/profile?x=1", host: "API.Example.com:80", [("Authorization", "Bearer t")], user: "alice")
        #expect(request.target == CacheTarget(scheme: "http", host: "api.example.com", target: "/api/me/profile?x=1"))
        #expect(request.rule?.namespace == "me")
        #expect(request.hasAuthorization)
        #expect(request.keyUser == "alice")
        let shared = CacheFixtures.request("/api/users", user: "alice")
        #expect(shared.keyUser == nil, "a user goes into the key only under a per_user rule")
    }

    @Test func theRuleIsChosenByTheNormalisedPathTheKeyByTheRawTarget() {
        for uri in ["/%61pi/me?x", "//api/me?x", "/api/./me?x", "/static/../api/me?x"] {
            let request = CacheFixtures.request(uri, user: "alice")
            #expect(request.rule?.namespace == "me", "\(uri)")
            #expect(request.keyUser == "alice", "\(uri): per_user applies whatever the spelling")
            #expect(request.target.target == uri, "the key keeps the target as sent")
        }
        let given = CacheFixtures.head(.GET, "/%61pi/users/7")
        guard case .cacheable(let request) = CacheFixtures.policy.classify(given, path: NormalizedPath("/api/users/7")) else {
            Issue.record("not cacheable")
            return
        }
        #expect(request.rule?.namespace == "users", "a path made by the caller is used as it is")
    }

    /// `%2F` read as a separator climbs out of `/api/me` (`/static/x`, a shared rule); read as
    /// data it stays under the `per_user` rule. Which one the origin serves is unknown, so such
    /// a request neither uses nor fills the cache; when both readings agree, it is cached.
    @Test func aPathWhoseTwoReadingsOfA2FFallUnderDifferentRulesBypassesTheCache() {
        let ambiguous = CacheFixtures.head(.GET, "/api/me/%2F..%2F..%2F..%2Fstatic/x")
        guard case .bypass(let reason) = CacheFixtures.policy.classify(ambiguous, user: "alice") else {
            Issue.record("cacheable")
            return
        }
        #expect(reason == .ambiguousPath)
        let agreed = CacheFixtures.request("/static/a%2Fb", user: "alice")
        #expect(agreed.rule?.pathPrefix == "/static")
    }

    @Test func absoluteFormNamesItsOwnHost() {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "http://Other.example:80/a?b", headers: ["Host": "example.com"])
        guard case .cacheable(let request) = CacheFixtures.policy.classify(head) else {
            Issue.record("not cacheable")
            return
        }
        #expect(request.target.host == "other.example")
        #expect(request.target.target == "/a?b")
    }
}

@Suite struct CacheFreshnessPolicyTests {
    static let t0 = CacheFixtures.t0
    /// Fresh for 60 s, then 10 s stale-while-revalidate, then up to 300 s stale-if-error.
    static let entry = CacheFixtures.entry(lifetime: 60, staleWhileRevalidate: 10, staleIfError: 300)

    @Test(arguments: [
        (Int64(0), CacheEntryState.fresh(ttlRemaining: 60)),
        (59, .fresh(ttlRemaining: 1)),
        (60, .staleWhileRevalidate),
        (69, .staleWhileRevalidate),
        (70, .staleIfErrorOnly),
        (359, .staleIfErrorOnly),
        (360, .expired),
        (100_000, .expired),
    ])
    func windows(_ elapsed: Int64, _ expected: CacheEntryState) {
        #expect(CacheFixtures.policy.state(of: Self.entry, for: nil, now: Self.t0 + elapsed) == expected)
    }

    @Test func initialAgeCountsAgainstFreshness() {
        let aged = CacheFixtures.entry(lifetime: 60, initialAge: 50)
        #expect(CacheFixtures.policy.state(of: aged, for: nil, now: Self.t0 + 5) == .fresh(ttlRemaining: 5))
        #expect(aged.responseHeaders(at: Self.t0 + 5).first(name: "age") == "55")
        #expect(aged.ttl(at: Self.t0 + 20) == -10)
    }

    @Test func noCacheEntriesAlwaysRevalidate() {
        let entry = CacheFixtures.entry(lifetime: 60, staleWhileRevalidate: 0, staleIfError: 0, alwaysRevalidate: true)
        #expect(CacheFixtures.policy.state(of: entry, for: nil, now: Self.t0) == .mustRevalidate)
        #expect(!CacheEntryState.mustRevalidate.isServableOnError)
    }

    @Test func clientDirectivesForceRevalidation() {
        let noCache = CacheFixtures.request("/items", [("Cache-Control", "no-cache")])
        #expect(CacheFixtures.policy.state(of: Self.entry, for: noCache, now: Self.t0) == .mustRevalidate)
        let pragma = CacheFixtures.request("/items", [("Pragma", "no-cache")])
        #expect(CacheFixtures.policy.state(of: Self.entry, for: pragma, now: Self.t0) == .mustRevalidate)
        let maxAge = CacheFixtures.request("/items", [("Cache-Control", "max-age=30")])
        #expect(CacheFixtures.policy.state(of: Self.entry, for: maxAge, now: Self.t0 + 20) == .fresh(ttlRemaining: 40))
        #expect(CacheFixtures.policy.state(of: Self.entry, for: maxAge, now: Self.t0 + 31) == .mustRevalidate)
    }

    @Test func servableOnError() {
        #expect(CacheEntryState.fresh(ttlRemaining: 1).isServableOnError)
        #expect(CacheEntryState.staleWhileRevalidate.isServableOnError)
        #expect(CacheEntryState.staleIfErrorOnly.isServableOnError)
        #expect(!CacheEntryState.expired.isServableOnError)
    }
}

@Suite struct CacheAgeTests {
    @Test(arguments: [
        // (age header, date offset from response time or nil, request time offset, expected)
        (Int64(0), Int64?.some(0), Int64(0), Int64(0)),
        (0, -30, 0, 30),          // apparent age from Date
        (10, 0, 0, 10),           // upstream Age
        (10, 0, -3, 13),          // plus the response delay
        (10, -30, -3, 30),        // the larger of the two
        (0, 20, 0, 0),            // Date in the future: no negative age
        (0, nil, -2, 2),          // no Date: only the delay
        (5_000_000_000, 0, 0, 2_147_483_648),
    ])
    func correctedInitialAge(_ age: Int64, _ dateOffset: Int64?, _ requestOffset: Int64, _ expected: Int64) {
        let responseTime = CacheFixtures.t0
        let initial = CacheAge.correctedInitialAge(
            ageValue: age,
            dateValue: dateOffset.map { responseTime + $0 },
            requestTime: responseTime + requestOffset,
            responseTime: responseTime
        )
        #expect(initial == expected)
    }

    @Test func currentAgeAddsResidentTime() {
        #expect(CacheAge.currentAge(initialAge: 7, responseTime: CacheFixtures.t0, now: CacheFixtures.t0 + 100) == 107)
        #expect(CacheAge.currentAge(initialAge: 7, responseTime: CacheFixtures.t0, now: CacheFixtures.t0 + -5) == 7)
    }

    @Test func storageUsesDateAndAgeHeaders() throws {
        let response = CacheFixtures.response(200, [
            ("Cache-Control", "max-age=100"), ("Date", HTTPDate.format(CacheFixtures.t0 + -40)), ("Age", "12"),
        ])
        let plan = try #require(CacheFixtures.policy.storageDecision(
            for: response, to: CacheFixtures.request(), requestTime: CacheFixtures.t0 + -1, responseTime: CacheFixtures.t0
        ).plan)
        #expect(plan.initialAge == 40)
        let entry = plan.entry(body: ByteBuffer())
        #expect(CacheFixtures.policy.state(of: entry, for: nil, now: CacheFixtures.t0 + 10) == .fresh(ttlRemaining: 50))
    }
}

@Suite struct CacheConditionalTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var stored: [(String, String)]
        var request: [(String, String)]
        var notModified: Bool
        var testDescription: String { name }
    }

    static let lastModified = HTTPDate.format(CacheFixtures.t0 + -3600)
    static let rows: [Row] = [
        Row(name: "same strong tag", stored: [("ETag", "\"a\"")], request: [("If-None-Match", "\"a\"")], notModified: true),
        Row(name: "weak request tag matches strong", stored: [("ETag", "\"a\"")], request: [("If-None-Match", "W/\"a\"")], notModified: true),
        Row(name: "strong request tag matches weak", stored: [("ETag", "W/\"a\"")], request: [("If-None-Match", "\"a\"")], notModified: true),
        Row(name: "in a list", stored: [("ETag", "\"a\"")], request: [("If-None-Match", "\"x\", W/\"y\",\"a\"")], notModified: true),
        Row(name: "in a second line", stored: [("ETag", "\"a\"")], request: [("If-None-Match", "\"x\""), ("If-None-Match", "\"a\"")], notModified: true),
        Row(name: "tag containing a comma", stored: [("ETag", "\"a,b\"")], request: [("If-None-Match", "\"a,b\"")], notModified: true),
        Row(name: "comma tag does not split", stored: [("ETag", "\"a\"")], request: [("If-None-Match", "\"a,b\"")], notModified: false),
        Row(name: "other tag", stored: [("ETag", "\"a\"")], request: [("If-None-Match", "\"b\"")], notModified: false),
        Row(name: "star", stored: [], request: [("If-None-Match", "*")], notModified: true),
        Row(name: "no stored tag", stored: [("Last-Modified", lastModified)], request: [("If-None-Match", "\"a\"")], notModified: false),
        Row(name: "IMS after Last-Modified", stored: [("Last-Modified", lastModified)], request: [("If-Modified-Since", HTTPDate.format(CacheFixtures.t0 + -10))], notModified: true),
        Row(name: "IMS equal to Last-Modified", stored: [("Last-Modified", lastModified)], request: [("If-Modified-Since", lastModified)], notModified: true),
        Row(name: "IMS before Last-Modified", stored: [("Last-Modified", lastModified)], request: [("If-Modified-Since", HTTPDate.format(CacheFixtures.t0 + -7200))], notModified: false),
        Row(name: "IMS ignored with If-None-Match", stored: [("ETag", "\"a\""), ("Last-Modified", lastModified)], request: [("If-None-Match", "\"b\""), ("If-Modified-Since", HTTPDate.format(CacheFixtures.t0))], notModified: false),
        Row(name: "invalid IMS", stored: [("Last-Modified", lastModified)], request: [("If-Modified-Since", "yesterday")], notModified: false),
        Row(name: "IMS against Date", stored: [("Date", HTTPDate.format(CacheFixtures.t0 + -100))], request: [("If-Modified-Since", HTTPDate.format(CacheFixtures.t0 + -50))], notModified: true),
        Row(name: "IMS against receipt time", stored: [], request: [("If-Modified-Since", HTTPDate.format(CacheFixtures.t0 + -50))], notModified: false),
        Row(name: "unconditional", stored: [("ETag", "\"a\"")], request: [], notModified: false),
    ]

    @Test(arguments: rows)
    func answers(_ row: Row) {
        let entry = CacheFixtures.entry(headers: row.stored)
        #expect(CacheFixtures.policy.isNotModified(entry, for: CacheFixtures.request("/items", row.request)) == row.notModified)
    }

    /// RFC 9110 §13.2.1: preconditions are ignored where the answer would not be 2xx.
    @Test(arguments: [(HTTPResponseStatus.notFound, false), (.movedPermanently, false), (.gone, false), (.nonAuthoritativeInformation, true)])
    func preconditionsApplyToSuccessfulEntriesOnly(status: HTTPResponseStatus, notModified: Bool) {
        var entry = CacheFixtures.entry(headers: [("ETag", "\"a\"")])
        entry.status = status
        for request in [[("If-None-Match", "*")], [("If-None-Match", "\"a\"")]] {
            #expect(CacheFixtures.policy.isNotModified(entry, for: CacheFixtures.request("/items", request)) == notModified)
        }
    }

    @Test func notModifiedHeadersKeepValidatorsAndCacheFields() {
        let entry = CacheFixtures.entry(headers: [
            ("Cache-Control", "max-age=60"), ("ETag", "\"a\""), ("Content-Type", "text/plain"), ("Content-Length", "5"),
            ("Vary", "Accept"), ("Last-Modified", Self.lastModified),
        ])
        let headers = entry.notModifiedHeaders(at: CacheFixtures.t0 + 3)
        #expect(headers.map(\.name) == ["Cache-Control", "ETag", "Vary", "Age"])
        #expect(headers.first(name: "age") == "3")
        let withoutTag = CacheFixtures.entry(headers: [("Last-Modified", Self.lastModified)])
        #expect(withoutTag.notModifiedHeaders(at: CacheFixtures.t0).first(name: "last-modified") == Self.lastModified)
    }

    @Test func revalidationRequestCarriesTheEntrysValidators() {
        let entry = CacheFixtures.entry(headers: [("ETag", "W/\"v1\""), ("Last-Modified", Self.lastModified)])
        let clientHead = CacheFixtures.head(.HEAD, "/items", [("If-None-Match", "\"mine\""), ("If-Match", "\"x\""), ("Accept", "text/plain")])
        let head = CacheFixtures.policy.revalidationHead(for: clientHead, entry: entry)
        #expect(head.method == .GET)
        #expect(head.headers["if-none-match"] == ["W/\"v1\""])
        #expect(head.headers["if-modified-since"] == [Self.lastModified])
        #expect(!head.headers.contains(name: "if-match"))
        #expect(head.headers["accept"] == ["text/plain"])
        let plain = CacheFixtures.policy.revalidationHead(for: CacheFixtures.head(), entry: CacheFixtures.entry())
        #expect(!plain.headers.contains(name: "if-none-match") && !plain.headers.contains(name: "if-modified-since"))
    }
}

@Suite struct CacheRefreshTests {
    static let stored = CacheFixtures.entry(
        "body",
        headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Content-Length", "4"), ("Content-Type", "text/plain"), ("X-Old", "1")],
        lifetime: 60
    )

    @Test func mergesA304AndRecomputesFreshness() throws {
        let notModified = CacheFixtures.response(304, [
            ("Cache-Control", "max-age=120"), ("ETag", "\"v1\""), ("Content-Length", "0"), ("X-Old", "2"), ("X-New", "3"),
            ("Set-Cookie", "s=1"), ("Connection", "close"), ("Date", HTTPDate.format(CacheFixtures.t0 + 100)),
        ])
        let result = CacheFixtures.policy.refresh(
            Self.stored, with: notModified, for: CacheFixtures.request(),
            requestTime: CacheFixtures.t0 + 100, responseTime: CacheFixtures.t0 + 100
        )
        guard case .refreshed(let entry, let retention) = result else {
            Issue.record("expected refreshed, got \(result)")
            return
        }
        #expect(entry.headers["cache-control"] == ["max-age=120"])
        #expect(entry.headers["content-length"] == ["4"])
        #expect(entry.headers["x-old"] == ["2"])
        #expect(entry.headers["x-new"] == ["3"])
        #expect(entry.headers["content-type"] == ["text/plain"])
        #expect(!entry.headers.contains(name: "set-cookie"))
        #expect(!entry.headers.contains(name: "connection"))
        #expect(entry.body == CacheFixtures.buffer("body"))
        #expect(entry.freshness.lifetime == 120)
        #expect(retention == 420)
        #expect(CacheFixtures.policy.state(of: entry, for: nil, now: CacheFixtures.t0 + 110) == .fresh(ttlRemaining: 110))
    }

    @Test func otherValidatorIsAMismatch() {
        let result = CacheFixtures.policy.refresh(
            Self.stored, with: CacheFixtures.response(304, [("ETag", "\"v2\"")]), for: CacheFixtures.request(),
            requestTime: CacheFixtures.t0, responseTime: CacheFixtures.t0
        )
        #expect(result == .mismatch)
    }

    @Test func aNoStore304IsServedButNotKept() {
        let result = CacheFixtures.policy.refresh(
            Self.stored, with: CacheFixtures.response(304, [("Cache-Control", "no-store")]), for: CacheFixtures.request(),
            requestTime: CacheFixtures.t0, responseTime: CacheFixtures.t0
        )
        guard case .serveOnly(let entry, .noStore) = result else {
            Issue.record("expected serveOnly, got \(result)")
            return
        }
        #expect(entry.body == CacheFixtures.buffer("body"))
    }

    @Test func aHEADRequestsRevalidationStillRefreshes() {
        let result = CacheFixtures.policy.refresh(
            Self.stored, with: CacheFixtures.response(304, []), for: CacheFixtures.request(method: .HEAD),
            requestTime: CacheFixtures.t0 + 70, responseTime: CacheFixtures.t0 + 70
        )
        guard case .refreshed(let entry, _) = result else {
            Issue.record("expected refreshed, got \(result)")
            return
        }
        #expect(entry.responseTime == CacheFixtures.t0 + 70)
        #expect(entry.freshness.lifetime == 60)
    }

    /// A 304 without `Date` counts as generated when it arrived (RFC 9110 §6.6.1): the entry it
    /// refreshes is fresh again, not judged by the stored Date's age (it stayed stale for ever,
    /// revalidated by every request). The same `refresh` serves a background refresh.
    @Test func a304WithoutDateMakesTheEntryFreshAgain() {
        let stored = CacheFixtures.entry(
            "body",
            headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Date", HTTPDate.format(CacheFixtures.t0))],
            lifetime: 60
        )
        let result = CacheFixtures.policy.refresh(
            stored, with: CacheFixtures.response(304, [("ETag", "\"v1\""), ("Cache-Control", "max-age=60")]),
            for: CacheFixtures.request(), requestTime: CacheFixtures.t0 + 70, responseTime: CacheFixtures.t0 + 70
        )
        guard case .refreshed(let entry, _) = result else {
            Issue.record("expected refreshed, got \(result)")
            return
        }
        #expect(entry.headers["date"] == [HTTPDate.format(CacheFixtures.t0 + 70)])
        #expect(entry.currentAge(at: CacheFixtures.t0 + 71) == 1)
        #expect(CacheFixtures.policy.state(of: entry, for: nil, now: CacheFixtures.t0 + 71) == .fresh(ttlRemaining: 59))
    }
}

@Suite struct CacheInvalidationTests {
    static func invalidation(
        _ method: HTTPMethod, _ uri: String, status: UInt = 200, _ response: [(String, String)] = []
    ) -> CacheInvalidation? {
        CacheFixtures.policy.invalidation(for: CacheFixtures.head(method, uri), response: CacheFixtures.response(status, response))
    }

    static func target(_ path: String, host: String = "example.com") -> CacheTarget {
        CacheTarget(scheme: "http", host: host, target: path)
    }

    @Test func aWriteDropsItsTargetAndBumpsNamespaces() {
        #expect(Self.invalidation(.POST, "/api/users") == CacheInvalidation(targets: [Self.target("/api/users")], namespaces: ["users", "me"]))
        #expect(Self.invalidation(.DELETE, "/api/admin/x") == CacheInvalidation(targets: [Self.target("/api/admin/x")], namespaces: ["users"]))
        #expect(Self.invalidation(.PATCH, "/other?x=1") == CacheInvalidation(targets: [Self.target("/other?x=1")], namespaces: []))
        #expect(Self.invalidation(HTTPMethod.RAW(value: "PURGE"), "/x")?.targets == [Self.target("/x")])
    }

    @Test func locationAndContentLocationOnTheSameHost() {
        let result = Self.invalidation(.POST, "/api/users/", status: 201, [
            ("Location", "/api/users/7"), ("Content-Location", "http://EXAMPLE.com/api/users/7?full"),
        ])
        #expect(result?.targets == [Self.target("/api/users/"), Self.target("/api/users/7"), Self.target("/api/users/7?full")])
        let elsewhere = Self.invalidation(.PUT, "/a", [("Location", "http://evil.example/a"), ("Content-Location", "//evil.example/b")])
        #expect(elsewhere?.targets == [Self.target("/a")])
        let relative = Self.invalidation(.PUT, "/a/b/c", [("Location", "../d?x"), ("Content-Location", "e")])
        #expect(relative?.targets == [Self.target("/a/b/c"), Self.target("/a/d?x"), Self.target("/a/b/e")])
    }

    @Test func safeMethodsAndErrorsInvalidateNothing() {
        #expect(Self.invalidation(.GET, "/api/users") == nil)
        #expect(Self.invalidation(.HEAD, "/api/users") == nil)
        #expect(Self.invalidation(.OPTIONS, "/api/users") == nil)
        #expect(Self.invalidation(.TRACE, "/api/users") == nil)
        // An unknown method may write: it invalidates, like DELETE or PATCH.
        #expect(Self.invalidation(.RAW(value: "FROB"), "/api/users") != nil)
        #expect(Self.invalidation(.PATCH, "/api/users") != nil)
        #expect(Self.invalidation(.POST, "/api/users", status: 400) == nil)
        #expect(Self.invalidation(.POST, "/api/users", status: 503) == nil)
        #expect(Self.invalidation(.POST, "/api/users", status: 302) != nil)
    }

    @Test func aWriteToAnotherSpellingInvalidatesWhatItsNormalisedPathDoes() {
        for uri in ["//api/users", "/%61pi/users", "/x/../api/users", "/api/./users"] {
            let result = Self.invalidation(.POST, uri)
            #expect(result?.namespaces == ["users", "me"], "\(uri)")
            #expect(result?.targets == [Self.target(uri)], "\(uri): the URL purged is the one written to, as sent")
        }
        let policy = CacheFixtures.policy
        #expect(policy.namespace(of: Self.target("//api/users/1")) == "users")
        #expect(
            policy.urlKey(for: Self.target("/%61pi/users/1"), namespaceVersion: 4)
                == policy.keys.urlKey(for: Self.target("/%61pi/users/1"), namespace: "users", namespaceVersion: 4)
        )
    }

    @Test func purgeKeysUseTheTargetsNamespace() {
        let policy = CacheFixtures.policy
        let url = policy.urlKey(for: Self.target("/api/users/1"), namespaceVersion: 4)
        #expect(url == policy.keys.urlKey(for: Self.target("/api/users/1"), namespace: "users", namespaceVersion: 4))
        #expect(policy.namespace(of: Self.target("/api/me")) == "me")
        #expect(policy.namespace(of: Self.target("/static/x")) == nil)
    }
}
