// Case-insensitive comparison of header field names, shared by the response and request types.

/// Header names are ASCII tokens (RFC 9110 §5.1), so ASCII case folding is all a comparison needs.
enum TestHeaderName {
    static func matches(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8
        let right = rhs.utf8
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { Self.lowercased($0) == Self.lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
