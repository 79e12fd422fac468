// RateLimitHeaders: the RateLimit-Policy, RateLimit and Retry-After fields of a rate-limit outcome.

import NIOHTTP1

/// The response fields of draft-ietf-httpapi-ratelimit-headers for one request, one list member per
/// matching policy:
/// `RateLimit-Policy: "per-ip";q=100;w=60` and `RateLimit: "per-ip";r=99;t=60`, plus `Retry-After`
/// on a refusal. Windows and waits are whole seconds, rounded up.
public struct RateLimitHeaders: Sendable, Equatable {
    /// The verdict the fields state.
    public let outcome: RateLimitOutcome
    /// The plan that made the outcome's checks, for each policy's precomputed text.
    let plan: RateLimitPlan?

    /// The fields of `outcome`. With the `plan` that made its checks, each policy's name and
    /// `RateLimit-Policy` member come precomputed; without, they are formatted when written.
    /// Nothing is formatted here: a relayed response writes the fields straight into its head.
    public init(_ outcome: RateLimitOutcome, plan: RateLimitPlan? = nil) {
        self.outcome = outcome
        self.plan = plan
    }

    /// The `RateLimit-Policy` value; empty when no policy matched.
    public var policy: String {
        var text = ""
        writePolicy(into: &text)
        return text
    }

    /// The `RateLimit` value; empty when no policy matched.
    public var rateLimit: String {
        var text = ""
        writeRateLimit(into: &text)
        return text
    }

    /// The `Retry-After` value in seconds; nil when admitted.
    public var retryAfter: Int? { outcome.retryAfterSeconds }

    /// Equal when they state the same fields (whether or not a plan supplied the text).
    public static func == (lhs: RateLimitHeaders, rhs: RateLimitHeaders) -> Bool {
        lhs.policy == rhs.policy && lhs.rateLimit == rhs.rateLimit && lhs.retryAfter == rhs.retryAfter
    }

    /// `"per-ip";q=100;w=60, …`: one member per policy.
    func writePolicy<Sink: RateLimitTextSink>(into sink: inout Sink) {
        // By index: iterating the results copied each one (a retain of its name) per field.
        let results = outcome.results
        for index in results.indices {
            if index > 0 { sink.appendText(", ") }
            sink.appendText(plan?.policyMember(of: results[index]) ?? RateLimitPolicyText(results[index]).policyMember)
        }
    }

    /// `"per-ip";r=99;t=60, …`: what is left of each policy's quota, and when it resets.
    func writeRateLimit<Sink: RateLimitTextSink>(into sink: inout Sink) {
        let results = outcome.results
        for index in results.indices {
            let prefix = plan?.remainingPrefix(of: results[index]) ?? RateLimitPolicyText(results[index]).remainingPrefix
            writeRateLimitMember(at: index, prefix: prefix, into: &sink)
        }
    }

    /// The `RateLimit` member of the result at `index` (after `, ` unless it is the first);
    /// `prefix` is its policy's `remainingPrefix`.
    func writeRateLimitMember<Sink: RateLimitTextSink>(at index: Int, prefix: String, into sink: inout Sink) {
        if index > 0 { sink.appendText(", ") }
        sink.appendText(prefix)
        sink.appendNumber(outcome.results[index].remaining)
        sink.appendText(";t=")
        sink.appendNumber(outcome.results[index].resetSeconds)
    }

    /// Adds the fields to a response (nothing when no policy matched).
    public func add(to headers: inout HTTPHeaders) {
        if !outcome.results.isEmpty {
            headers.add(name: "RateLimit-Policy", value: policy)
            headers.add(name: "RateLimit", value: rateLimit)
        }
        if let retryAfter {
            headers.add(name: "Retry-After", value: String(retryAfter))
        }
    }

    /// `text` as an RFC 8941 sf-string: quoted, with `"` and `\` escaped. Characters an sf-string
    /// cannot hold (controls, non-ASCII) become `?`; config-validated policy names never have any.
    static func structuredString(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "\"" + text + "\""  // the usual case: nothing to escape
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\":
                out += "\\"
                out.unicodeScalars.append(scalar)
            case " "..."~":
                out.unicodeScalars.append(scalar)
            default:
                out += "?"
            }
        }
        return out + "\""
    }
}
