// RateLimitPlanTests: which policies apply to a request, and under which key.

import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct RateLimitPlanTests {
    static func policy(_ name: String, _ key: RateLimitKey, limit: Int = 10, match: RequestMatch? = nil, ipv6Prefix: Int = 64) -> RateLimitPolicyConfig {
        var config = RateLimitPolicyConfig(name: name, key: key, limit: limit, window: .seconds(60))
        config.match = match
        config.ipv6Prefix = ipv6Prefix
        return config
    }

    static let plan: RateLimitPlan = {
        var config = RateLimitsConfig()
        config.policies = [
            policy("per-ip", .ip, limit: 100),
            policy("per-user", .user, limit: 1000, match: RequestMatch(pathPrefix: "/api/", methods: ["GET", "POST"])),
            policy("per-tenant", .header("X-Tenant"), limit: 50),
        ]
        return RateLimitPlan(config)
    }()

    static func request(
        _ method: String = "GET",
        _ path: String = "/api/items",
        ip: String = "192.0.2.7",
        user: String? = "alice",
        headers: [(String, String)] = [("X-Tenant", "acme")]
    ) throws -> RateLimitRequest {
        RateLimitRequest(method: method, path: NormalizedPath(path), clientIP: try #require(IPAddress(parsing: ip)), user: user, headers: HTTPHeaders(headers))
    }

    @Test func everyMatchingPolicyInConfigOrder() throws {
        let checks = Self.plan.checks(for: try Self.request())
        #expect(checks == [
            RateLimitCheck(policyName: "per-ip", key: "per-ip:192.0.2.7", limit: 100, window: 60_000_000_000, policyIndex: 0),
            RateLimitCheck(policyName: "per-user", key: "per-user:alice", limit: 1000, window: 60_000_000_000, policyIndex: 1),
            RateLimitCheck(policyName: "per-tenant", key: "per-tenant:acme", limit: 50, window: 60_000_000_000, policyIndex: 2),
        ])
    }

    @Test func checksKnowTheirPolicysPlaceWhenSomeDoNotApply() throws {
        let checks = Self.plan.checks(for: try Self.request("DELETE"))
        #expect(checks.map(\.policyName) == ["per-ip", "per-tenant"])
        #expect(checks.map(\.policyIndex) == [0, 2])
    }

    @Test(arguments: [
        ("GET", "/api/items", "alice", true),
        ("POST", "/api/", "alice", true),
        ("DELETE", "/api/items", "alice", false),   // method not listed
        ("GET", "/apiv2/items", "alice", false),    // outside the prefix
        ("GET", "/", "alice", false),
        ("GET", "/api/items", nil, false),          // no user: a user policy does not apply
        // Other spellings of /api/items, as the origin reads them, do not escape the prefix.
        ("GET", "/%61pi/items", "alice", true),
        ("GET", "/%61%70%69/items", "alice", true),
        ("GET", "//api/items", "alice", true),
        ("GET", "/./api/items", "alice", true),
        ("GET", "/x/../api/items", "alice", true),
        ("GET", "/%2e%2e/api/items", "alice", true),
        ("GET", "/api%2Fitems", "alice", true),      // an encoded "/" separates segments, as nginx reads it
        ("GET", "/api/x/%2F..%2F..%2Fother", "alice", true),  // and, read as data, cannot climb out
    ] as [(String, String, String?, Bool)])
    func userPolicyMatching(method: String, path: String, user: String?, applies: Bool) throws {
        let names = Self.plan.checks(for: try Self.request(method, path, user: user)).map(\.policyName)
        #expect(names.contains("per-user") == applies)
        #expect(names.first == "per-ip")
    }

    @Test func headerPolicyNeedsTheHeader() throws {
        #expect(!Self.plan.checks(for: try Self.request(headers: [])).map(\.policyName).contains("per-tenant"))
        let lowerCase = Self.plan.checks(for: try Self.request(headers: [("x-tenant", "globex")]))
        #expect(lowerCase.last?.key == "per-tenant:globex")
        let twoLines = Self.plan.checks(for: try Self.request(headers: [("X-Tenant", "a"), ("X-Tenant", "b")]))
        #expect(twoLines.last?.key == "per-tenant:a, b")
    }

    @Test func longHeaderValuesAreKeyedByADigest() throws {
        let long = String(repeating: "x", count: 10_000)
        let other = String(repeating: "x", count: 9_999) + "y"
        let first = try #require(Self.plan.checks(for: try Self.request(headers: [("X-Tenant", long)])).last)
        let second = try #require(Self.plan.checks(for: try Self.request(headers: [("X-Tenant", other)])).last)
        #expect(first.key.utf8.count < 200)
        #expect(first.key != second.key)
        #expect(first.key == Self.plan.checks(for: try Self.request(headers: [("X-Tenant", long)])).last?.key)
    }

    @Test func longUsersAreKeyedByADigest() throws {
        let long = String(repeating: "u", count: 10_000)
        let check = try #require(Self.plan.checks(for: try Self.request(user: long)).first { $0.policyName == "per-user" })
        #expect(check.key.utf8.count < 200)
        #expect(check.key != Self.plan.checks(for: try Self.request(user: long + "v")).first { $0.policyName == "per-user" }?.key)
        #expect(Self.plan.checks(for: try Self.request()).first { $0.policyName == "per-user" }?.key == "per-user:alice")
    }

    @Test func ipv6ClientsAreGroupedByPrefix() throws {
        let keys = try ["2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:3::1"].map {
            Self.plan.checks(for: try Self.request(ip: $0)).first?.key
        }
        #expect(keys == ["per-ip:2001:db8:1:2::/64", "per-ip:2001:db8:1:2::/64", "per-ip:2001:db8:1:3::/64"])
    }

    @Test(arguments: [
        ("2001:db8:abcd:12::1", 48, "2001:db8:abcd::/48"),
        ("2001:db8:abcd:12::1", 128, "2001:db8:abcd:12::1/128"),
        ("2001:db8:abcd:12::1", 56, "2001:db8:abcd::/56"),
        ("2001:db8:abcd:1234::1", 56, "2001:db8:abcd:1200::/56"),
        ("198.51.100.9", 48, "198.51.100.9"),
        ("::ffff:198.51.100.9", 64, "198.51.100.9"),
    ])
    func grouping(address: String, prefix: Int, group: String) {
        #expect(IPAddress(parsing: address)?.rateLimitGroup(ipv6Prefix: prefix) == group)
    }

    @Test func noPoliciesNoChecks() throws {
        let plan = RateLimitPlan(RateLimitsConfig())
        #expect(plan.isEmpty)
        #expect(plan.checks(for: try Self.request()).isEmpty)
    }

    @Test func requestFromAHead() throws {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "http://example.com/api/items?page=2")
        head.headers.add(name: "X-Tenant", value: "acme")
        let client = try #require(IPAddress(parsing: "192.0.2.7"))
        let request = RateLimitRequest(head: head, clientIP: client, user: "alice")
        #expect(request.method == "POST")
        #expect(request.path.value == "/api/items")
        #expect(Self.plan.checks(for: request).count == 3)
    }

    @Test func requestFromAHeadCountsByItsNormalisedPath() throws {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "http://example.com//%61pi/./items?page=2")
        let request = RateLimitRequest(head: head, clientIP: try #require(IPAddress(parsing: "192.0.2.7")), user: "alice")
        #expect(request.path.value == "/api/items")
        #expect(Self.plan.checks(for: request).map(\.policyName) == ["per-ip", "per-user"])
    }

    @Test(arguments: [
        ("/a/b?q=1", "/a/b"),
        ("/a/b#frag", "/a/b"),
        ("/", "/"),
        ("*", "*"),
        ("https://h:8443/x/y?z", "/x/y"),
        ("http://h?q", "/"),
        ("/caf\u{E9}/x?q", "/caf\u{E9}/x"),
    ])
    func pathOfTarget(uri: String, path: String) {
        #expect(RequestTarget.path(of: uri) == path)
    }

    @Test func windowIsConvertedToNanoseconds() {
        #expect(RateLimitPolicy(Self.policy("p", .ip)).window == 60_000_000_000)
        #expect(RateLimitPolicy.nanoseconds(.seconds(86_400)) == 86_400_000_000_000)
        #expect(RateLimitPolicy.nanoseconds(.seconds(Int64.max)) == UInt64.max)
    }
}
