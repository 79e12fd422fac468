// HexDigits: fixed-width lower-case hex for ids and hash tags, written without intermediate strings.

/// Sixteen lower-case hex digits per `UInt64`, zero-padded.
enum HexDigits {
    /// Writes `value` as 16 digits into `bytes` (at least 16 long).
    static func write(_ value: UInt64, into bytes: UnsafeMutableBufferPointer<UInt8>) {
        let digits: StaticString = "0123456789abcdef"
        var rest = value
        for index in stride(from: 15, through: 0, by: -1) {
            bytes[index] = digits.utf8Start[Int(rest & 0xF)]
            rest >>= 4
        }
    }

    static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { bytes in
            write(value, into: bytes)
            return 16
        }
    }
}
