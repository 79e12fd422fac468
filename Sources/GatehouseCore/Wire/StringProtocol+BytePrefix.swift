// StringProtocol+BytePrefix: whether a string starts with another, byte for byte, as nginx compares location prefixes.

extension StringProtocol {
    /// True when this string's UTF-8 begins with `prefix`'s UTF-8. Paths are matched against
    /// configured prefixes this way on every request: `hasPrefix` also works out grapheme
    /// boundaries and canonical equivalence, which no path needs, and the generic
    /// `utf8.starts(with:)` walks both views index by index; native strings compare in place.
    func hasBytePrefix(_ prefix: some StringProtocol) -> Bool {
        let inPlace = utf8.withContiguousStorageIfAvailable { bytes in
            prefix.utf8.withContiguousStorageIfAvailable { start in
                start.count <= bytes.count && bytes.prefix(start.count).elementsEqual(start)
            }
        }
        if let inPlace, let matched = inPlace {
            return matched
        }
        return utf8.starts(with: prefix.utf8)
    }
}
