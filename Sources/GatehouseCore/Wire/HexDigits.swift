// HexDigits: fixed-width lower-case hex for ids and hash tags, written without intermediate strings; hex digits read.

/// Sixteen lower-case hex digits per `UInt64`, zero-padded; and the value of one digit.
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

    /// The value of the hex digit `byte`, either case (`%2e` and `%2E` are one escape; chunk
    /// sizes are written in either); nil for any other byte. The one reader of hex digits.
    static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
