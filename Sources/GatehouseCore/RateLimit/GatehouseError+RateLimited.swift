// GatehouseError+RateLimited: the 429 RATE_LIMITED error of DESIGN.md §8 for a refused request.

extension GatehouseError {
    /// `429 RATE_LIMITED` naming every refusing policy and its wait, e.g.
    /// `{"error":{"code":"RATE_LIMITED","message":"Too many requests","details":[{"policy":"per-ip","retry_after":12}]}}`.
    public static func rateLimited(_ outcome: RateLimitOutcome) -> GatehouseError {
        GatehouseError(
            .rateLimited,
            "Too many requests",
            details: outcome.refusals.map { refusal in
                ["policy": .string(refusal.policyName), "retry_after": .int(max(refusal.retryAfterSeconds, 1))]
            }
        )
    }
}
