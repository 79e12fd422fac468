// RateLimitDecimal: appends a header number's digits to a string without making a string for it.

/// Decimal digits for the rate-limit fields, written through a stack buffer (this runs twice per
/// policy for every rate-limited request).
enum RateLimitDecimal {
    /// Appends `value` in decimal; negative values as 0 (header numbers never go below).
    static func append(_ value: Int, to text: inout String) {
        var rest = UInt(max(value, 0))
        // At most 20 digits, filled from the right.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            // Up to 15 ASCII bytes make a small string, which needs no allocation of its own.
            text.append(String(decoding: UnsafeRawBufferPointer(rebasing: scratch[index...]), as: UTF8.self))
        }
    }
}
