// RateLimitResult+Counted: one policy's header-facing numbers from what a store counted.

extension RateLimitResult {
    /// The result of `check` after the request, from the store's count and waits (nanoseconds),
    /// the same whichever store counted: `remaining` is 0 when refused, `reset` is the wait
    /// until the window has room again when it is full, and Retry-After is at least 1 second.
    public init(check: RateLimitCheck, admitted: Bool, counted: Int, untilAdmissible: UInt64, nextRelease: UInt64) {
        let remaining = admitted ? max(check.limit - counted, 0) : 0
        let untilAdmissibleSeconds = RateLimitResult.wholeSeconds(untilAdmissible)
        self.init(
            policyName: check.policyName,
            limit: check.limit,
            window: check.window,
            admitted: admitted,
            remaining: remaining,
            resetSeconds: remaining == 0 ? untilAdmissibleSeconds : RateLimitResult.wholeSeconds(nextRelease),
            retryAfterSeconds: admitted ? 0 : max(untilAdmissibleSeconds, 1),
            policyIndex: check.policyIndex
        )
    }
}
