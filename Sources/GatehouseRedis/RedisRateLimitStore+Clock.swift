// RedisRateLimitStore+Clock: whose clock the Redis sliding window reads.

extension RedisRateLimitStore {
    /// Where the time of an evaluation comes from.
    public enum Clock: Sendable, Equatable {
        /// Redis `TIME`, read inside the script: every instance on one Redis agrees, whatever its
        /// own clock says. What the proxy uses.
        case server
        /// The `now` passed to `evaluate` (monotonic, process-local): only meaningful for one
        /// instance. For tests that drive time, so results can be compared with the memory store.
        case caller
    }
}
