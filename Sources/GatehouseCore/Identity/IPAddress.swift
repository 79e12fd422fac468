// IPAddress: an IPv4 or IPv6 address as a value, parsed from text; IPv4-mapped IPv6 counts as IPv4.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address.
///
/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is the IPv4 address it maps, so a client reaching
/// a dual-stack listener is counted, trusted and grouped the same as over IPv4.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    // Two words rather than a byte array: rate limiting hashes and masks one of these per request.
    private let high: UInt64
    private let low: UInt64

    /// True for IPv4, false for IPv6.
    public let isIPv4: Bool

    /// True for IPv6 (never for an IPv4-mapped address, which is IPv4).
    public var isIPv6: Bool { !isIPv4 }

    /// The address length in bits: 32 or 128.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// Parses `1.2.3.4` or an IPv6 literal such as `::1` (no brackets, no zone).
    public init?(parsing text: String) {
        guard let raw = IPAddress(parsingWithoutMapping: text) else { return nil }
        self = raw.unmapped
    }

    /// Builds an address from 4 or 16 bytes in network order.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if bytes.count == 16 && index < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self.init(high: high, low: low, isIPv4: bytes.count == 4)
        self = unmapped
    }

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        if isIPv4 {
            return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * $0)) }
        }
        let highBytes = (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
        let lowBytes = (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        return highBytes + lowBytes
    }

    /// The address with every bit after the first `prefix` cleared, e.g. an IPv6 client's /64.
    ///
    /// `prefix` is clamped to 0…32 for IPv4 and 0…128 for IPv6.
    public func masked(toPrefix prefix: Int) -> IPAddress {
        let prefix = min(max(prefix, 0), bitWidth)
        if isIPv4 {
            return IPAddress(high: 0, low: low & IPAddress.mask(ones: prefix, width: 32), isIPv4: true)
        }
        return IPAddress(
            high: high & IPAddress.mask(ones: min(prefix, 64), width: 64),
            low: low & IPAddress.mask(ones: max(prefix - 64, 0), width: 64),
            isIPv4: false
        )
    }

    /// `1.2.3.4`, or the RFC 5952 form of an IPv6 address (`2001:db8::1`).
    public var description: String {
        if isIPv4 {
            // Written straight into one string: rate-limit keys format the client on every request.
            return String(unsafeUninitializedCapacity: 15) { out in
                var index = 0
                for shift in stride(from: 24, through: 0, by: -8) {
                    if shift != 24 {
                        out[index] = UInt8(ascii: ".")
                        index += 1
                    }
                    let octet = UInt8(truncatingIfNeeded: low >> UInt64(shift))
                    if octet >= 100 {
                        out[index] = UInt8(ascii: "0") + octet / 100
                        index += 1
                    }
                    if octet >= 10 {
                        out[index] = UInt8(ascii: "0") + (octet / 10) % 10
                        index += 1
                    }
                    out[index] = UInt8(ascii: "0") + octet % 10
                    index += 1
                }
                return index
            }
        }
        return IPAddress.formatIPv6(bytes)
    }
}

extension IPAddress {
    init(high: UInt64, low: UInt64, isIPv4: Bool) {
        self.high = high
        self.low = low
        self.isIPv4 = isIPv4
    }

    /// Parses without turning `::ffff:a.b.c.d` into IPv4; IPNetwork needs the written form to read
    /// a prefix length that counts IPv6 bits.
    init?(parsingWithoutMapping text: String) {
        // C would stop at an embedded NUL and accept what came before it.
        guard !text.isEmpty, !text.utf8.contains(0) else { return nil }
        if text.contains(":" as Character) {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            guard let parsed = withUnsafeBytes(of: &address, { IPAddress(rawBytes: $0) }) else { return nil }
            self = parsed
        } else {
            var address = in_addr()
            guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
            guard let parsed = withUnsafeBytes(of: &address, { IPAddress(rawBytes: $0) }) else { return nil }
            self = parsed
        }
    }

    /// True for `::ffff:0:0/96`, the IPv4-mapped IPv6 range.
    var isIPv4Mapped: Bool {
        !isIPv4 && high == 0 && low >> 32 == 0xFFFF
    }

    /// The IPv4 address an IPv4-mapped address stands for, or self.
    var unmapped: IPAddress {
        isIPv4Mapped ? IPAddress(high: 0, low: low & 0xFFFF_FFFF, isIPv4: true) : self
    }

    /// An IPv4 address as its IPv4-mapped IPv6 form; IPv6 stays as it is.
    var mappedToIPv6: IPAddress {
        isIPv4 ? IPAddress(high: 0, low: 0xFFFF_0000_0000 | low, isIPv4: false) : self
    }

    private init?(rawBytes: UnsafeRawBufferPointer) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in rawBytes.enumerated() {
            if rawBytes.count == 16 && index < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        guard rawBytes.count == 4 || rawBytes.count == 16 else { return nil }
        self.init(high: high, low: low, isIPv4: rawBytes.count == 4)
    }

    /// The top `ones` bits of a `width`-bit word set (width 32 or 64).
    private static func mask(ones: Int, width: Int) -> UInt64 {
        guard ones > 0 else { return 0 }
        let all: UInt64 = width == 64 ? UInt64.max : 0xFFFF_FFFF
        return ones >= width ? all : all & ~(all >> UInt64(ones))
    }

    /// RFC 5952: lower-case hex, leading zeros dropped, the longest run (≥ 2) of zero groups as `::`.
    private static func formatIPv6(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
