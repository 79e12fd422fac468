// IPAddress+Grouping: the rate-limit identity of a client address (IPv6 clients grouped by prefix).

extension IPAddress {
    /// The text a rate limit counts this address under: an IPv4 address as it is, an IPv6 address as
    /// its block of `ipv6Prefix` bits (`2001:db8:1:2::/64`), because one IPv6 subscriber usually holds a
    /// whole /64 and could otherwise take a fresh quota with every address in it.
    public func rateLimitGroup(ipv6Prefix: Int) -> String {
        guard isIPv6 else { return description }
        let prefix = min(max(ipv6Prefix, 0), 128)
        return "\(masked(toPrefix: prefix))/\(prefix)"
    }
}
