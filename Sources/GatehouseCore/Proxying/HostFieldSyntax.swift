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
        var rest = value.utf8
        if rest.first == UInt8(ascii: "[") {
            guard let close = rest.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = rest[rest.index(after: rest.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy(isIPLiteralByte) else { return false }
            rest = rest[rest.index(after: close)...]
        } else {
            let hostEnd = rest.firstIndex(of: UInt8(ascii: ":")) ?? rest.endIndex
            guard isRegName(rest[..<hostEnd]) else { return false }
            rest = rest[hostEnd...]
        }
        guard let separator = rest.first else { return true }
        return separator == UInt8(ascii: ":") && rest.dropFirst().allSatisfy(isDigit)
    }

    /// A non-empty RFC 3986 `reg-name` (IPv4 addresses are reg-names too): unreserved
    /// characters, sub-delims and well-formed percent-encodings; never `@`, `/`, `?`, `#` or space.
    private static func isRegName(_ bytes: Substring.UTF8View) -> Bool {
        guard !bytes.isEmpty else { return false }
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                guard first < bytes.endIndex, isHexDigit(bytes[first]) else { return false }
                let second = bytes.index(after: first)
                guard second < bytes.endIndex, isHexDigit(bytes[second]) else { return false }
                index = bytes.index(after: second)
                continue
            }
            guard isUnreservedOrSubDelim(byte) else { return false }
            index = bytes.index(after: index)
        }
        return true
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
