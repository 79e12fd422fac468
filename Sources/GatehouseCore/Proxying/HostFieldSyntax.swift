// HostFieldSyntax: whether a Host field value or an absolute-form authority is `uri-host [":" port]`.

/// The syntax check behind RFC 9112 §3.2 ("a Host header field with an invalid field value"
/// gets a 400) and RFC 9110 §4.2.4 (userinfo in an http(s) authority is an error).
///
/// It matters to the cache as much as to the origin: the cache key normalises the host (lower
/// case, default port and any `userinfo@` dropped), so a value the key reads one way and the
/// origin another — `evil.example@api.example`, `api.example/x`, `api.example x` — would let a
/// response built from that value be stored for the plain host and served to everyone.
public enum HostFieldSyntax {
    /// True for `reg-name`, IPv4 or `[IP-literal]`, optionally followed by `:` and digits.
    public static func isValid(_ value: Substring) -> Bool {
        // Every request's Host comes through here: read its bytes in place (walking a
        // Substring's UTF8View index by index was ~1% of a proxied request).
        if let result = value.utf8.withContiguousStorageIfAvailable(isValid(bytes:)) {
            return result
        }
        return Array(value.utf8).withUnsafeBufferPointer(isValid(bytes:))
    }

    private static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            for literalIndex in 1..<close where !isIPLiteralByte(bytes[literalIndex]) {
                return false
            }
            index = close + 1
        } else {
            index = regNameEnd(bytes)
            guard index > 0 else { return false }
        }
        guard index < bytes.count else { return true }
        guard bytes[index] == UInt8(ascii: ":") else { return false }
        for portIndex in (index + 1)..<bytes.count where !isDigit(bytes[portIndex]) {
            return false
        }
        return true
    }

    /// Where the RFC 3986 `reg-name` at the start of `bytes` ends (IPv4 addresses are reg-names
    /// too): at the first `:`, or the end; 0 when it is empty or has anything but unreserved
    /// characters, sub-delims and well-formed percent-encodings (never `@`, `/`, `?`, `#`, space).
    private static func regNameEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: ":") {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, isHexDigit(bytes[index + 1]), isHexDigit(bytes[index + 2]) else { return 0 }
                index += 3
                continue
            }
            guard isUnreservedOrSubDelim(byte) else { return 0 }
            index += 1
        }
        return index
    }

    /// Inside `[...]`: IPv6 (hex digits, `:`, `.`) or IPvFuture (`v`, then unreserved,
    /// sub-delims and `:`).
    private static func isIPLiteralByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ":") || isUnreservedOrSubDelim(byte)
    }

    /// Letters, digits, `-._~` (unreserved) and `!$&'()*+,;=` (sub-delims); a switch, not a
    /// set, as every request's Host goes through here.
    private static func isUnreservedOrSubDelim(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "="):
            true
        default:
            isAlphanumeric(byte)
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
