// RateLimitResult: what one policy said about one request, in the units the headers need.

/// The state of one policy's quota after a request was evaluated.
public struct RateLimitResult: Sendable, Equatable {
    public var policyName: String
    public var limit: Int
    /// Window length in nanoseconds.
    public var window: UInt64
    /// True when this policy alone would admit the request (the request may still be refused by
    /// another policy, in which case nothing was consumed here either).
    public var admitted: Bool
    /// Quota left after this request: 0 when this policy refused; unchanged by a request that another
    /// policy refused.
    public var remaining: Int
    /// Whole seconds, rounded up, until more quota becomes available — the `t` of the `RateLimit`
    /// field in draft-ietf-httpapi-ratelimit-headers-10 ("seconds until additional quota … is made
    /// available"). With no quota left it equals `retryAfterSeconds`; 0 when nothing is counted.
    public var resetSeconds: Int
    /// Whole seconds, rounded up, until a request would be admitted by this policy if nothing else is
    /// admitted meanwhile (never early, at most 1 s late); 0 when this policy admits.
    public var retryAfterSeconds: Int
    /// The policy's position in its `RateLimitPlan`, from the check (nil for a check made by hand).
    public var policyIndex: Int?

    public init(
        policyName: String,
        limit: Int,
        window: UInt64,
        admitted: Bool,
        remaining: Int,
        resetSeconds: Int,
        retryAfterSeconds: Int,
        policyIndex: Int? = nil
    ) {
        self.policyName = policyName
        self.limit = limit
        self.window = window
        self.admitted = admitted
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
        self.policyIndex = policyIndex
    }

    /// The window in whole seconds, rounded up (config windows are whole seconds already).
    public var windowSeconds: Int { RateLimitResult.wholeSeconds(window) }

    /// Nanoseconds as whole seconds, rounded up, so a wait derived from it is never early.
    public static func wholeSeconds(_ nanoseconds: UInt64) -> Int {
        let (seconds, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return Int(clamping: seconds + (rest > 0 ? 1 : 0))
    }
}
