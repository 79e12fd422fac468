// RateLimitCheck: one policy's question about one request — may key K have another request?

/// What a store evaluates for one matching policy of a request.
public struct RateLimitCheck: Sendable, Equatable, Hashable {
    /// The policy's configured name; it names the quota in headers, errors and metrics.
    public var policyName: String
    /// The store key: `policyName + ":" + key value` (see `RateLimitPlan`).
    public var key: String { storeKey.text }
    /// The key with its hash, made once with the key: the memory store picks the key's shard and
    /// finds its counter by the hash, and a connection's IP-keyed checks keep theirs from one
    /// request to the next, so a request hashes no key text at all.
    let storeKey: TrackedKey
    /// Requests admitted per window (a limit below 1 admits nothing).
    public var limit: Int
    /// Window length in nanoseconds.
    public var window: UInt64
    /// The policy's position in the `RateLimitPlan` that made this check (nil for a check made by
    /// hand): lets the proxy find the policy's precomputed header text and metric counters without
    /// looking its name up. Stores ignore it; it only travels into the result.
    public var policyIndex: Int?

    public init(policyName: String, key: String, limit: Int, window: UInt64, policyIndex: Int? = nil) {
        self.init(policyName: policyName, storeKey: TrackedKey(key), limit: limit, window: window, policyIndex: policyIndex)
    }

    init(policyName: String, storeKey: TrackedKey, limit: Int, window: UInt64, policyIndex: Int?) {
        self.policyName = policyName
        self.storeKey = storeKey
        self.limit = limit
        self.window = window
        self.policyIndex = policyIndex
    }
}
