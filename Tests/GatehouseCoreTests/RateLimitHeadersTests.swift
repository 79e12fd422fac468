// RateLimitHeadersTests: exact RateLimit-Policy / RateLimit / Retry-After fields and the 429 body.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct RateLimitHeadersTests {
    static func result(_ name: String, limit: Int, seconds: UInt64 = 60, admitted: Bool = true, remaining: Int, reset: Int, retry: Int = 0) -> RateLimitResult {
        RateLimitResult(
            policyName: name, limit: limit, window: seconds * 1_000_000_000,
            admitted: admitted, remaining: remaining, resetSeconds: reset, retryAfterSeconds: retry
        )
    }

    @Test func admittedRequestCarriesBothFields() {
        let outcome = RateLimitOutcome(admitted: true, results: [
            Self.result("per-ip", limit: 100, remaining: 99, reset: 60),
            Self.result("per-user", limit: 1000, remaining: 998, reset: 57),
        ])
        let fields = RateLimitHeaders(outcome)
        #expect(fields.policy == #""per-ip";q=100;w=60, "per-user";q=1000;w=60"#)
        #expect(fields.rateLimit == #""per-ip";r=99;t=60, "per-user";r=998;t=57"#)
        #expect(fields.retryAfter == nil)
        var headers = HTTPHeaders()
        fields.add(to: &headers)
        #expect(headers["RateLimit-Policy"] == [#""per-ip";q=100;w=60, "per-user";q=1000;w=60"#])
        #expect(headers["RateLimit"] == [#""per-ip";r=99;t=60, "per-user";r=998;t=57"#])
        #expect(!headers.contains(name: "Retry-After"))
    }

    @Test func refusalAddsRetryAfterAndTheError() {
        let outcome = RateLimitOutcome(admitted: false, results: [
            Self.result("per-ip", limit: 100, admitted: false, remaining: 0, reset: 12, retry: 12),
            Self.result("per-user", limit: 1000, remaining: 900, reset: 30),
        ])
        var headers = HTTPHeaders()
        RateLimitHeaders(outcome).add(to: &headers)
        #expect(headers["RateLimit"] == [#""per-ip";r=0;t=12, "per-user";r=900;t=30"#])
        #expect(headers["Retry-After"] == ["12"])
        let error = GatehouseError.rateLimited(outcome)
        #expect(error.status == 429)
        #expect(error.jsonBody == #"{"error":{"code":"RATE_LIMITED","message":"Too many requests","details":[{"policy":"per-ip","retry_after":12}]}}"#)
    }

    @Test func retryAfterIsTheLongestRefusal() {
        let outcome = RateLimitOutcome(admitted: false, results: [
            Self.result("a", limit: 1, admitted: false, remaining: 0, reset: 3, retry: 3),
            Self.result("b", limit: 1, admitted: false, remaining: 0, reset: 40, retry: 40),
        ])
        #expect(RateLimitHeaders(outcome).retryAfter == 40)
        #expect(GatehouseError.rateLimited(outcome).details.count == 2)
    }

    @Test func noMatchingPolicyNoFields() {
        var headers = HTTPHeaders()
        RateLimitHeaders(.unlimited).add(to: &headers)
        #expect(headers.isEmpty)
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        (#"we"ird"#, #""we\"ird""#),
        (#"back\slash"#, #""back\\slash""#),
        ("tab\there", #""tab?here""#),
        ("café", #""caf?""#),
    ])
    func policyNamesAreStructuredFieldStrings(name: String, serialised: String) {
        #expect(RateLimitHeaders.structuredString(name) == serialised)
    }

    @Test func windowSecondsRoundUp() {
        #expect(Self.result("p", limit: 1, seconds: 0, remaining: 0, reset: 0).windowSeconds == 0)
        #expect(RateLimitResult.wholeSeconds(1) == 1)
        #expect(RateLimitResult.wholeSeconds(1_000_000_000) == 1)
        #expect(RateLimitResult.wholeSeconds(1_000_000_001) == 2)
    }

    @Test func fieldsFromARealStore() {
        let store = MemoryRateLimitStore(maxTrackedKeys: 10)
        let check = RateLimitCheck(policyName: "per-ip", key: "per-ip:192.0.2.1", limit: 2, window: 60_000_000_000)
        let start: UInt64 = 1_000_000_000_000
        _ = store.evaluate([check], now: start)
        let second = RateLimitHeaders(store.evaluate([check], now: start + 10_000_000_000))
        #expect(second.rateLimit == #""per-ip";r=0;t=50"#)
        let refused = RateLimitHeaders(store.evaluate([check], now: start + 47_500_000_000))
        #expect(refused.policy == #""per-ip";q=2;w=60"#)
        #expect(refused.rateLimit == #""per-ip";r=0;t=13"#)
        #expect(refused.retryAfter == 13)
    }

    static func plan(_ policies: [(String, Int)]) -> RateLimitPlan {
        var config = RateLimitsConfig()
        config.policies = policies.map { RateLimitPolicyConfig(name: $0.0, key: .ip, limit: $0.1, window: .seconds(60)) }
        return RateLimitPlan(config)
    }

    /// The plan's precomputed text gives the very bytes the formatting path gives.
    @Test func precomputedTextIsTheFormattedText() throws {
        let plan = Self.plan([("per-ip", 3), (#"we"ird\name"#, 5), ("caf\u{E9}", 1_000_000_000)])
        let store = MemoryRateLimitStore(maxTrackedKeys: 100)
        let client = try #require(IPAddress(parsing: "192.0.2.7"))
        let request = RateLimitRequest(method: "GET", path: NormalizedPath("/"), clientIP: client, user: nil, headers: HTTPHeaders())
        let checks = plan.checks(for: request)
        var seen: [RateLimitHeaders] = []
        for step in 0..<5 {
            let outcome = store.evaluate(checks, now: 1_000_000_000_000 + UInt64(step) * 7_300_000_000)
            let fast = RateLimitHeaders(outcome, plan: plan)
            #expect(fast == RateLimitHeaders(outcome))
            // Every policy matched: the wire form takes the plan's precomputed start.
            #expect(Self.wire(fast) == Self.wire(RateLimitHeaders(outcome)))
            #expect(RateLimitHeaders(RateLimitOutcome(admitted: outcome.admitted, results: [outcome.results[1]]), plan: plan)
                == RateLimitHeaders(RateLimitOutcome(admitted: outcome.admitted, results: [outcome.results[1]])))
            seen.append(fast)
        }
        #expect(seen[0].policy == #""per-ip";q=3;w=60, "we\"ird\\name";q=5;w=60, "caf?";q=1000000000;w=60"#)
        #expect(seen[0].rateLimit == #""per-ip";r=2;t=60, "we\"ird\\name";r=4;t=60, "caf?";r=999999999;t=60"#)
        #expect(seen[3].rateLimit == #""per-ip";r=0;t=39, "we\"ird\\name";r=2;t=39, "caf?";r=999999997;t=39"#)
        #expect(seen[3].retryAfter == 39)
        #expect(Self.wire(seen[0]) == "RateLimit-Policy: " + seen[0].policy + "\r\nRateLimit: " + seen[0].rateLimit + "\r\n")
        #expect(Self.wire(seen[3]).hasSuffix("\r\nRetry-After: 39\r\n"))
    }

    /// The fields as a response head carries them.
    static func wire(_ fields: RateLimitHeaders) -> String {
        var buffer = ByteBuffer()
        fields.write(into: &buffer)
        return String(buffer: buffer)
    }

    /// A result the plan did not make (another config's policy at that index) is formatted itself.
    @Test func foreignResultsAreFormattedNotLookedUp() {
        let plan = Self.plan([("per-ip", 100)])
        var renamed = Self.result("per-user", limit: 100, remaining: 7, reset: 9)
        renamed.policyIndex = 0
        var relimited = Self.result("per-ip", limit: 50, remaining: 7, reset: 9)
        relimited.policyIndex = 0
        var outOfRange = Self.result("per-ip", limit: 100, remaining: 7, reset: 9)
        outOfRange.policyIndex = 3
        let fields = RateLimitHeaders(RateLimitOutcome(admitted: true, results: [renamed, relimited, outOfRange]), plan: plan)
        #expect(fields.policy == #""per-user";q=100;w=60, "per-ip";q=50;w=60, "per-ip";q=100;w=60"#)
        #expect(fields.rateLimit == #""per-user";r=7;t=9, "per-ip";r=7;t=9, "per-ip";r=7;t=9"#)
    }

    @Test func numbersAreWrittenWhole() {
        let outcome = RateLimitOutcome(admitted: true, results: [
            Self.result("big", limit: Int.max, remaining: Int.max, reset: 1_234_567_890),
            Self.result("small", limit: -3, remaining: -1, reset: -8),
            Self.result("zero", limit: 0, seconds: 0, remaining: 0, reset: 10),
        ])
        let fields = RateLimitHeaders(outcome)
        #expect(fields.policy == #""big";q=9223372036854775807;w=60, "small";q=0;w=60, "zero";q=0;w=0"#)
        #expect(fields.rateLimit == #""big";r=9223372036854775807;t=1234567890, "small";r=0;t=0, "zero";r=0;t=10"#)
    }
}

