// RateLimitPolicyText: the parts of a policy's rate-limit header fields that never change per request.

/// A policy's whole `RateLimit-Policy` list member and the start of its `RateLimit` member (both
/// begin with the name as an sf-string, e.g. `"per-ip"`), formatted once per config so a request
/// only appends its own `r=` and `t=` numbers.
public struct RateLimitPolicyText: Sendable, Equatable {
    /// The `RateLimit-Policy` member, e.g. `"per-ip";q=100;w=60`.
    public let policyMember: String
    /// The start of the `RateLimit` member, up to its first number: `"per-ip";r=`.
    public let remainingPrefix: String

    public init(name: String, limit: Int, window: UInt64) {
        let quotedName = RateLimitHeaders.structuredString(name)
        policyMember = quotedName + ";q=" + String(max(limit, 0)) + ";w=" + String(RateLimitResult.wholeSeconds(window))
        remainingPrefix = quotedName + ";r="
    }

    /// The text of the policy `result` came from, formatted now (for results made without a plan).
    public init(_ result: RateLimitResult) {
        self.init(name: result.policyName, limit: result.limit, window: result.window)
    }
}
