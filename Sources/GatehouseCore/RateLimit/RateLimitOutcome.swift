// RateLimitOutcome: the verdict on one request across every matching policy.

/// Admitted only when every policy admitted; otherwise no quota was consumed anywhere.
public struct RateLimitOutcome: Sendable, Equatable {
    public var admitted: Bool
    /// One result per check, in the order the checks were given.
    public var results: [RateLimitResult]

    public init(admitted: Bool, results: [RateLimitResult]) {
        self.admitted = admitted
        self.results = results
    }

    /// The outcome of a request no policy applies to.
    public static let unlimited = RateLimitOutcome(admitted: true, results: [])

    /// The policies that refused the request (empty when admitted).
    public var refusals: [RateLimitResult] {
        results.filter { !$0.admitted }
    }

    /// The `Retry-After` of a refusal: the longest wait among the refusing policies, at least 1 s;
    /// nil when admitted.
    public var retryAfterSeconds: Int? {
        guard !admitted else { return nil }
        return max(refusals.map(\.retryAfterSeconds).max() ?? 1, 1)
    }
}
