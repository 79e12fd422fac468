// RateLimitPlan+Reload: what a reload changes about the policies that a kept store must know.

extension RateLimitPlan {
    /// The policies whose window is longer here than in `previous` (same name), as key prefix
    /// (`name:`) to the new window: a store kept across the reload must hold their keys as long.
    public func windowsLengthened(since previous: RateLimitPlan) -> [String: UInt64] {
        var earlier: [String: UInt64] = [:]
        for policy in previous.policies {
            earlier[policy.keyPrefix] = policy.window
        }
        var lengthened: [String: UInt64] = [:]
        for policy in policies {
            if let window = earlier[policy.keyPrefix], policy.window > window {
                lengthened[policy.keyPrefix] = policy.window
            }
        }
        return lengthened
    }
}
