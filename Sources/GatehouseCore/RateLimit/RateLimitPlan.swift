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
        policies.compactMap { $0.check(for: request) }
    }
}
