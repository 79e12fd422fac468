// GatehouseConfig+Summary: the few lines `gatehouse check` prints for a valid file.

extension GatehouseConfig {
    /// A short description of what this config will run: listeners, upstreams, limits and cache.
    public var summary: String {
        let servers = upstream.servers.map(\.description).joined(separator: ", ")
        let policyNames = rateLimits.policies.map(\.name).joined(separator: ", ")
        let policies = GatehouseConfig.count(rateLimits.policies.count, "rate-limit policy", "rate-limit policies")
            + (policyNames.isEmpty ? "" : " (\(policyNames))")
            + ", store \(rateLimits.store.rawValue)"
        var cacheLine = "cache: \(cache.store.rawValue)"
        if cache.store == .memory {
            cacheLine += ", budget \(ByteSizeSyntax.format(cache.memoryBudget))"
        }
        if cache.store != .off {
            cacheLine += ", " + GatehouseConfig.count(cache.rules.count, "rule", "rules")
        }
        return [
            "listen \(server.listen), admin \(server.adminListen)",
            "upstream: " + GatehouseConfig.count(upstream.servers.count, "server", "servers") + " (\(servers))",
            policies,
            cacheLine,
        ].joined(separator: "\n")
    }

    private static func count(_ number: Int, _ singular: String, _ plural: String) -> String {
        "\(number) \(number == 1 ? singular : plural)"
    }
}
