// RedisRateLimitStore+Reply: the script's integers turned into the same RateLimitOutcome the memory store gives.
import GatehouseCore

/// The decoded reply of ``RedisRateLimitStore/script``.
struct RedisRateLimitReply {
    let outcome: RateLimitOutcome

    /// Nil when the reply does not have the script's shape.
    init?(_ reply: RedisValue, checks: [RateLimitCheck]) {
        guard let values = reply.array?.compactMap(\.integer),
              values.count == 1 + 4 * checks.count
        else { return nil }
        var results: [RateLimitResult] = []
        for (index, check) in checks.enumerated() {
            let base = 1 + 4 * index
            results.append(Self.result(
                of: check,
                admits: values[base] == 1,
                counted: values[base + 1],
                retryAfterMicroseconds: values[base + 2],
                nextReleaseMicroseconds: values[base + 3]
            ))
        }
        outcome = RateLimitOutcome(admitted: values[0] == 1, results: results)
    }

    /// Mirrors the memory store's header numbers (RateLimitShard.result), from µs instead of a counter.
    static func result(of check: RateLimitCheck, admits: Bool, counted: Int, retryAfterMicroseconds: Int, nextReleaseMicroseconds: Int) -> RateLimitResult {
        let remaining = admits ? max(check.limit - counted, 0) : 0
        let untilAdmissible = RateLimitResult.wholeSeconds(nanoseconds(retryAfterMicroseconds))
        let reset = remaining == 0
            ? untilAdmissible
            : RateLimitResult.wholeSeconds(nanoseconds(nextReleaseMicroseconds))
        return RateLimitResult(
            policyName: check.policyName,
            limit: check.limit,
            window: check.window,
            admitted: admits,
            remaining: remaining,
            resetSeconds: reset,
            retryAfterSeconds: admits ? 0 : max(untilAdmissible, 1)
        )
    }

    /// Negative (the script's "nothing counts") becomes 0.
    private static func nanoseconds(_ microseconds: Int) -> UInt64 {
        UInt64(max(microseconds, 0)).multipliedReportingOverflow(by: 1000).partialValue
    }
}
