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
        RateLimitResult(
            check: check,
            admitted: admits,
            counted: counted,
            untilAdmissible: nanoseconds(retryAfterMicroseconds),
            nextRelease: nanoseconds(nextReleaseMicroseconds)
        )
    }

    /// Negative (the script's "nothing counts") becomes 0.
    private static func nanoseconds(_ microseconds: Int) -> UInt64 {
        UInt64(max(microseconds, 0)).multipliedReportingOverflow(by: 1000).partialValue
    }
}
