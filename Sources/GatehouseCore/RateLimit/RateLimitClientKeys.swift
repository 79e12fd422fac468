// RateLimitClientKeys: the store keys of one client's IP-keyed policies, made once per connection.

/// The store keys (`policy name + ":" + address group`) of the IP-keyed policies for the latest
/// client address seen. A connection's requests nearly always come from one address, and each key
/// is too long for a small string, so building it per request was a heap allocation per policy
/// (and hashing it, a pass over its text).
/// A request from another address (through a trusted proxy) starts over.
public struct RateLimitClientKeys: Sendable {
    private var clientIP: IPAddress?
    /// By the policy's index in its plan.
    private var entries: [Entry?] = []

    /// A key together with what it was made from, so a policy changed by a reload never gets a key
    /// made for the one that held its index before.
    private struct Entry: Sendable {
        let keyPrefix: String
        let ipv6Prefix: Int
        let key: TrackedKey
    }

    public init() {}

    /// The store key `keyPrefix + clientIP.rateLimitGroup(ipv6Prefix:)` of the IP-keyed policy at
    /// `index` in its plan (nil for a policy asked on its own, whose key is not kept).
    mutating func key(prefix keyPrefix: String, ipv6Prefix: Int, at index: Int?, for clientIP: IPAddress) -> TrackedKey {
        guard let index, index >= 0 else { return TrackedKey(keyPrefix + clientIP.rateLimitGroup(ipv6Prefix: ipv6Prefix)) }
        if clientIP != self.clientIP {
            self.clientIP = clientIP
            entries.removeAll(keepingCapacity: true)
        }
        if index < entries.count, let entry = entries[index], entry.keyPrefix == keyPrefix, entry.ipv6Prefix == ipv6Prefix {
            return entry.key
        }
        let key = TrackedKey(keyPrefix + clientIP.rateLimitGroup(ipv6Prefix: ipv6Prefix))
        if index >= entries.count {
            entries.append(contentsOf: repeatElement(nil, count: index + 1 - entries.count))
        }
        entries[index] = Entry(keyPrefix: keyPrefix, ipv6Prefix: ipv6Prefix, key: key)
        return key
    }
}
