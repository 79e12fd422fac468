// RateLimitCheck: one policy's question about one request — may key K have another request?

/// What a store evaluates for one matching policy of a request.
public struct RateLimitCheck: Sendable, Equatable, Hashable {
    /// The policy's configured name; it names the quota in headers, errors and metrics.
    public var policyName: String
    /// The store key: `policyName + ":" + key value` (see `RateLimitPlan`).
    public var key: String
    /// Requests admitted per window (a limit below 1 admits nothing).
    public var limit: Int
    /// Window length in nanoseconds.
    public var window: UInt64
    /// The policy's position in the `RateLimitPlan` that made this check (nil for a check made by
    /// hand): lets the proxy find the policy's precomputed header text and metric counters without
    /// looking its name up. Stores ignore it; it only travels into the result.
    public var policyIndex: Int?

    public init(policyName: String, key: String, limit: Int, window: UInt64, policyIndex: Int? = nil) {
        self.policyName = policyName
        self.key = key
        self.limit = limit
        self.window = window
        self.policyIndex = policyIndex
    }
}
