// UnitQuantityScanner: splits text like "1m30s" or "1.5MiB" into (number, unit) parts.

/// Splits `1m30s` into `[1 m, 30 s]`; the grammar shared by durations and sizes.
enum UnitQuantityScanner {
    /// What went wrong while scanning, for the caller to word.
    enum Failure: Error, Equatable {
        case empty
        case negative
        case malformed
    }

    static func scan(_ text: String) throws(Failure) -> [UnitQuantity] {
        guard !text.isEmpty else { throw .empty }
        if text.hasPrefix("-") { throw .negative }
        var parts: [UnitQuantity] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            let whole = rest.prefix(while: isDigit)
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix(while: isDigit)
                rest = rest.dropFirst(fraction.count)
                guard !fraction.isEmpty else { throw .malformed }
            }
            guard !whole.isEmpty else { throw .malformed }
            let unit = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(unit.count)
            parts.append(UnitQuantity(wholeDigits: whole, fractionDigits: fraction, unit: unit))
            // A part without a unit can only be the last; the caller words that case.
            if unit.isEmpty && !rest.isEmpty { throw .malformed }
        }
        return parts
    }

    private static func isDigit(_ character: Character) -> Bool {
        character.isASCII && character.isNumber
    }
}
