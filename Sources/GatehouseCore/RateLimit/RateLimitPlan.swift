// RateLimitPlan: the configured policies, built once per config, asked once per request.

/// Every rate-limit policy of a config, in config order (Envoy's FilterConfig: built once, shared by
/// every connection, swapped whole on reload).
public struct RateLimitPlan: Sendable, Equatable {
    public let policies: [RateLimitPolicy]

    public init(_ config: RateLimitsConfig) {
        policies = config.policies.map(RateLimitPolicy.init)
    }

    public init(policies: [RateLimitPolicy]) {
        self.policies = policies
    }

    /// True when there is nothing to check, so the proxy can skip the store entirely.
    public var isEmpty: Bool { policies.isEmpty }

    /// The checks of every policy that applies to `request`, in config order.
    public func checks(for request: RateLimitRequest) -> [RateLimitCheck] {
        var checks: [RateLimitCheck] = []
        // Sized once: growing from empty would reallocate on every request with two policies.
        checks.reserveCapacity(policies.count)
        for index in policies.indices {
            // Asked in place: copying a policy out would retain each of its strings.
            if let check = policies[index].check(for: request, index: index) {
                checks.append(check)
            }
        }
        return checks
    }

    /// The precomputed header text of the policy `result` came from; nil when the result was not
    /// made by this plan (a check made by hand, or a plan since replaced by a reload).
    public func text(of result: RateLimitResult) -> RateLimitPolicyText? {
        guard let index = result.policyIndex, policies.indices.contains(index), policies[index].produced(result) else {
            return nil
        }
        return policies[index].text
    }
}
