// RateLimitPolicy: one configured policy, ready to say whether and under which key it counts a request.

/// A `rate_limits.policies` entry prepared for per-request use.
///
/// A class, immutable: the plan asks each policy about every request, and reading a struct of
/// this many strings out of the plan's array copied it whole (a retain and release of each
/// string) per policy per request; a reference is one.
public final class RateLimitPolicy: Sendable, Equatable {
    /// Header values longer than this (in UTF-8 bytes) are keyed by a digest, so a client sending huge
    /// values cannot make each tracked key cost kilobytes.
    static let maxVerbatimKeyBytes = 128

    public let name: String
    public let key: RateLimitKey
    public let limit: Int
    /// Window length in nanoseconds.
    public let window: UInt64
    public let ipv6Prefix: Int
    public let match: RequestMatch?
    /// `name + ":"`, the start of every store key of this policy (made once, not per request).
    public let keyPrefix: String
    /// The header text that depends only on the configuration.
    public let text: RateLimitPolicyText

    public init(_ config: RateLimitPolicyConfig) {
        name = config.name
        key = config.key
        limit = config.limit
        window = RateLimitPolicy.nanoseconds(config.window)
        ipv6Prefix = config.ipv6Prefix
        match = config.match
        keyPrefix = name + ":"
        text = RateLimitPolicyText(name: name, limit: limit, window: window)
    }

    public static func == (lhs: RateLimitPolicy, rhs: RateLimitPolicy) -> Bool {
        lhs === rhs || (lhs.name == rhs.name && lhs.key == rhs.key && lhs.limit == rhs.limit && lhs.window == rhs.window
            && lhs.ipv6Prefix == rhs.ipv6Prefix && lhs.match == rhs.match)
    }

    /// The check this policy makes for `request`, or nil when it does not apply (no match, no user for
    /// a user key, no such header for a header key). `index` is the policy's place in its plan;
    /// `clientKeys` keeps an IP-keyed policy's store key for the connection's next request.
    ///
    public func check(for request: RateLimitRequest, index: Int? = nil, clientKeys: inout RateLimitClientKeys) -> RateLimitCheck? {
        guard matches(method: request.method, path: request.path) else { return nil }
        let storeKey: TrackedKey
        if case .ip = key {
            storeKey = clientKeys.key(prefix: keyPrefix, ipv6Prefix: ipv6Prefix, at: index, for: request.clientIP)
        } else if let value = keyValue(for: request) {
            storeKey = TrackedKey(keyPrefix + value)
        } else {
            return nil
        }
        return RateLimitCheck(policyName: name, storeKey: storeKey, limit: limit, window: window, policyIndex: index)
    }

    /// True when `result` is this policy's, as it is configured now (its precomputed text applies).
    func produced(_ result: RateLimitResult) -> Bool {
        result.policyName == name && result.limit == limit && result.window == window
    }

    /// True when `match` lets the request through (no `match` = every request). The prefix is
    /// matched against the normalised path, so no spelling of a path escapes it.
    public func matches(method: String, path: NormalizedPath) -> Bool {
        guard let match else { return true }
        if let prefix = match.pathPrefix, !path.hasPrefix(prefix) {
            return false
        }
        if let methods = match.methods, !methods.contains(method.uppercased()) {
            return false
        }
        return true
    }

    /// What the request is counted by under this policy, or nil when it has none.
    func keyValue(for request: RateLimitRequest) -> String? {
        switch key {
        case .ip:
            return request.clientIP.rateLimitGroup(ipv6Prefix: ipv6Prefix)
        case .user:
            // A JWT claim can be as long as the request head allows: bounded like a header's
            // value, so every tracked key's memory is.
            return request.user.map(RateLimitPolicy.bounded)
        case .header(let name):
            let values = request.headers[name]
            guard !values.isEmpty else { return nil }
            // Several field lines mean one comma-separated list (RFC 9110 §5.3).
            return RateLimitPolicy.bounded(values.joined(separator: ", "))
        }
    }

    /// `value` itself when short; otherwise its start plus a 64-bit FNV-1a digest of all of it. FNV is
    /// not collision-resistant, but colliding only makes two long values share one quota, and it is
    /// the same in every process, as a shared Redis store needs.
    static func bounded(_ value: String) -> String {
        let bytes = value.utf8
        guard bytes.count > maxVerbatimKeyBytes else { return value }
        let digest = FNV1a.hash64(bytes)
        let head = String(decoding: bytes.prefix(64), as: UTF8.self)
        let hex = String(digest, radix: 16)
        return head + "…#" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A non-negative duration in nanoseconds, saturating at `UInt64.max`.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return UInt64.max }
        let (sum, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return carry ? UInt64.max : sum
    }
}
