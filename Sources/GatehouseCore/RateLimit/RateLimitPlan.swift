// RateLimitPlan: the configured policies, built once per config, asked once per request.

/// Every rate-limit policy of a config, in config order (Envoy's FilterConfig: built once, shared by
/// every connection, swapped whole on reload). A class, immutable: each rate-limited request's
/// fields keep a reference to it, one retain where a struct copy retained each of its members.
public final class RateLimitPlan: Sendable, Equatable {
    public let policies: [RateLimitPolicy]
    /// `RateLimit-Policy: ` with every policy's member, then `\r\nRateLimit: `: the fixed start of
    /// the fields of a request that every policy applied to (the usual case), formatted once.
    let everyPolicyFieldsStart: String

    public convenience init(_ config: RateLimitsConfig) {
        self.init(policies: config.policies.map(RateLimitPolicy.init))
    }

    public init(policies: [RateLimitPolicy]) {
        self.policies = policies
        everyPolicyFieldsStart = "RateLimit-Policy: " + policies.map(\.text.policyMember).joined(separator: ", ") + "\r\nRateLimit: "
    }

    public static func == (lhs: RateLimitPlan, rhs: RateLimitPlan) -> Bool {
        lhs === rhs || lhs.policies == rhs.policies
    }

    /// True when there is nothing to check, so the proxy can skip the store entirely.
    public var isEmpty: Bool { policies.isEmpty }

    /// The checks of every policy that applies to `request`, in config order.
    public func checks(for request: RateLimitRequest) -> [RateLimitCheck] {
        var checks: [RateLimitCheck] = []
        var clientKeys = RateLimitClientKeys()
        self.checks(for: request, into: &checks, clientKeys: &clientKeys)
        return checks
    }

    /// The same checks, written over what `checks` held, with IP-keyed store keys kept in
    /// `clientKeys`: a connection hands the same two back for each of its requests, so once its
    /// first request has sized them a request allocates neither the array nor its keys.
    public func checks(for request: RateLimitRequest, into checks: inout [RateLimitCheck], clientKeys: inout RateLimitClientKeys) {
        // Sized once: growing from empty would reallocate with two policies.
        checks.reserveCapacity(policies.count)
        var count = 0
        for index in policies.indices {
            if let check = policies[index].check(for: request, index: index, clientKeys: &clientKeys) {
                checks.refill(check, at: count)
                count += 1
            }
        }
        checks.refillEnd(at: count)
    }

    /// The precomputed `RateLimit-Policy` member of the policy `result` came from; nil when the
    /// result was not made by this plan (a check made by hand, or a plan since replaced by a
    /// reload). One string of the policy's text, read in place.
    func policyMember(of result: RateLimitResult) -> String? {
        producer(of: result).map { policies[$0].text.policyMember }
    }

    /// The precomputed start of the `RateLimit` member, as `policyMember(of:)`.
    func remainingPrefix(of result: RateLimitResult) -> String? {
        producer(of: result).map { policies[$0].text.remainingPrefix }
    }

    /// True when `results` are one per policy of this plan, in order, each made by its policy as
    /// configured now: their fields may start with `everyPolicyFieldsStart`.
    func madeByEveryPolicy(_ results: [RateLimitResult]) -> Bool {
        guard results.count == policies.count, !results.isEmpty else { return false }
        return results.indices.allSatisfy { producer(of: results[$0]) == $0 }
    }

    /// The index of the policy that made `result`, if this plan made it.
    private func producer(of result: RateLimitResult) -> Int? {
        guard let index = result.policyIndex, policies.indices.contains(index), policies[index].produced(result) else {
            return nil
        }
        return index
    }
}
