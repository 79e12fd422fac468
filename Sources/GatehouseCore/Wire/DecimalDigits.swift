// DecimalDigits: a number's decimal digits on the stack, for writers that must not make a String of it.

/// The one place numbers become ASCII digits for the wire, cache keys and header strings.
public enum DecimalDigits {
    /// Calls `body` with the decimal digits of `value` (at most 20 bytes, in a stack buffer).
    @inlinable
    public static func withDigits<Result>(_ value: UInt64, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            var rest = value
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            return body(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }

    /// How many digits `value` has.
    public static func count(_ value: UInt64) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }
}
