// DeltaSeconds: a field parameter's whole seconds, read digit by digit and clamped.

/// A delta-seconds value (RFC 9111 §1.2.2) built from the bytes of a parameter: digits only,
/// clamped to `limit`; `value` is nil when a byte was not a digit or there was none.
struct DeltaSeconds {
    /// The largest delta-seconds a cache needs to represent (RFC 9111 §1.2.2).
    static let limit: Int64 = 2_147_483_648

    private var number: Int64 = 0
    private var digits = 0
    private var invalid = false

    mutating func append(_ byte: UInt8) {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
            invalid = true
            return
        }
        digits += 1
        number = min(number * 10 + Int64(byte - UInt8(ascii: "0")), Self.limit)
    }

    var value: Int64? { invalid || digits == 0 ? nil : number }
}
