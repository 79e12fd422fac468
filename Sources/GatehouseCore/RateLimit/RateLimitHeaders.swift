// RateLimitHeaders: the RateLimit-Policy, RateLimit and Retry-After fields of a rate-limit outcome.

import NIOHTTP1

/// The response fields of draft-ietf-httpapi-ratelimit-headers for one request, one list member per
/// matching policy:
/// `RateLimit-Policy: "per-ip";q=100;w=60` and `RateLimit: "per-ip";r=99;t=60`, plus `Retry-After`
/// on a refusal. Windows and waits are whole seconds, rounded up.
public struct RateLimitHeaders: Sendable, Equatable {
    /// The `RateLimit-Policy` value; empty when no policy matched.
    public var policy: String
    /// The `RateLimit` value; empty when no policy matched.
    public var rateLimit: String
    /// The `Retry-After` value in seconds; nil when admitted.
    public var retryAfter: Int?

    /// The fields of `outcome`. With the `plan` that made its checks, each policy's name and
    /// `RateLimit-Policy` member come precomputed; without, they are formatted here.
    public init(_ outcome: RateLimitOutcome, plan: RateLimitPlan? = nil) {
        // Appended into two strings, numbers without intermediate strings: this runs for every
        // rate-limited request.
        var policy = ""
        var rateLimit = ""
        for result in outcome.results {
            let text = plan?.text(of: result) ?? RateLimitPolicyText(result)
            if policy.isEmpty {
                // One policy, the usual case: its precomputed member is the whole field.
                policy = text.policyMember
                // Room for the usual two policies' `"name";r=…;t=…` without growing.
                rateLimit.reserveCapacity(2 * (text.quotedName.utf8.count + 24))
            } else {
                policy += ", "
                policy += text.policyMember
                rateLimit += ", "
            }
            rateLimit += text.quotedName
            rateLimit += ";r="
            RateLimitDecimal.append(result.remaining, to: &rateLimit)
            rateLimit += ";t="
            RateLimitDecimal.append(result.resetSeconds, to: &rateLimit)
        }
        self.policy = policy
        self.rateLimit = rateLimit
        retryAfter = outcome.retryAfterSeconds
    }

    /// Adds the fields to a response (nothing when no policy matched).
    public func add(to headers: inout HTTPHeaders) {
        if !policy.isEmpty {
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
