// IPNetwork: a CIDR block (IPv4 or IPv6) and whether an address lies inside it.

/// A CIDR block such as `10.0.0.0/8` or `fd00::/8`; used for `server.trusted_proxies`.
public struct IPNetwork: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The first address of the block (host bits cleared).
    public let address: IPAddress
    /// Leading bits that every address in the block shares: 0…32 (IPv4) or 0…128 (IPv6).
    public let prefixLength: Int

    /// A block from an address and a prefix length; host bits of `address` are cleared.
    /// nil when the prefix length does not fit the address family.
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bitWidth).contains(prefixLength) else { return nil }
        self.address = address.masked(toPrefix: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Parses `127.0.0.1/32`, `10.0.0.0/8`, `::1/128`, `fd00::/8`, or a bare address (a block of one).
    ///
    /// Host bits after the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4-mapped block
    /// (`::ffff:10.0.0.0/104`) becomes the IPv4 block it maps.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let written = IPAddress(parsingWithoutMapping: String(parts[0])) else { return nil }
        var prefix = written.bitWidth
        if parts.count == 2 {
            let digits = parts[1]
            // Int(_:) alone would accept "+8"; a prefix is plain digits.
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(digits) else { return nil }
            prefix = value
        }
        if written.isIPv4Mapped && prefix >= 96 {
            self.init(address: written.unmapped, prefixLength: prefix - 96)
        } else {
            self.init(address: written, prefixLength: prefix)
        }
    }

    /// True when `address` lies in this block. An IPv4 address is also inside IPv6 blocks that
    /// cover its IPv4-mapped form (`::/0` holds everything).
    public func contains(_ address: IPAddress) -> Bool {
        if self.address.isIPv4 {
            return address.isIPv4 && address.masked(toPrefix: prefixLength) == self.address
        }
        return address.mappedToIPv6.masked(toPrefix: prefixLength) == self.address
    }

    /// `10.0.0.0/8`, `fd00::/8`.
    public var description: String {
        "\(address)/\(prefixLength)"
    }
}
