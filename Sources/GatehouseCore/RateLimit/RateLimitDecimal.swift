// RateLimitDecimal: appends a header number's digits to a string without making a string for it.

/// Decimal digits for the rate-limit fields, through `DecimalDigits`' stack buffer (this runs twice
/// per policy for every rate-limited request).
enum RateLimitDecimal {
    /// Appends `value` in decimal; negative values as 0 (header numbers never go below).
    static func append(_ value: Int, to text: inout String) {
        DecimalDigits.withDigits(UInt64(max(value, 0))) { digits in
            // Up to 15 ASCII bytes make a small string, which needs no allocation of its own.
            text.append(String(decoding: digits, as: UTF8.self))
        }
    }
}
