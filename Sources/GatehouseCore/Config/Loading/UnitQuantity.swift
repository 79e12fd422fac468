// UnitQuantity: one `number unit` part of a duration or size, and its value in the smallest unit.

/// One `number unit` part of a duration or size, digits kept as written.
struct UnitQuantity: Equatable {
    var wholeDigits: Substring
    /// Digits after the decimal point; empty when there is none.
    var fractionDigits: Substring
    /// Letters after the number; empty when the number has no unit.
    var unit: Substring

    /// `wholeDigits` + fraction scaled by `unitValue`, rounded down; nil on overflow.
    func scaled(by unitValue: Int64) -> Int64? {
        guard let whole = Int64(wholeDigits) else { return nil }
        let (product, overflow) = whole.multipliedReportingOverflow(by: unitValue)
        guard !overflow else { return nil }
        // Nanoseconds and bytes need no more than 18 digits of fraction; more cannot change the sum.
        let digits = fractionDigits.prefix(18)
        guard !digits.isEmpty, let fraction = Int64(digits) else { return product }
        var divisor: Int64 = 1
        for _ in 0..<digits.count { divisor *= 10 }
        // fraction < divisor, so fraction * unitValue / divisor < unitValue: the quotient fits even
        // when the product does not.
        let part = divisor.dividingFullWidth(fraction.multipliedFullWidth(by: unitValue)).quotient
        let (sum, sumOverflow) = product.addingReportingOverflow(part)
        return sumOverflow ? nil : sum
    }
}
