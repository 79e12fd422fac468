// ByteRangeRequest: a request's `Range: bytes=…` field (RFC 9110 §14.1.2), one range, resolved against a length.

/// The one byte range a `Range` field asks for. Like Varnish, the cache slices a single range and
/// answers a request for several with the whole representation (RFC 9110 §14.2 lets a server
/// ignore `Range`), which every client accepts; nginx's multipart/byteranges is rarely asked for.
public enum ByteRangeRequest: Sendable, Equatable {
    /// `first-` or `first-last` (`last` inclusive).
    case from(first: Int, last: Int?)
    /// `-length`: the final `length` bytes.
    case suffix(length: Int)

    /// The range of a `Range` field value; nil when the field is to be ignored: another unit,
    /// several ranges, or a syntax error (`bytes=5-2`, `bytes=x-`, an empty set).
    public init?(parsing value: some StringProtocol) {
        let bytes = Array(value.utf8)
        // "bytes" is case-insensitive (§14.1); whitespace around "=" is not allowed.
        guard bytes.count > 6, bytes[5] == UInt8(ascii: "="),
              bytes[0..<5].map({ $0 | 0x20 }) == Array("bytes".utf8)
        else { return nil }
        // The set may carry empty list elements and OWS (§5.6.1): `bytes= 0-1 ,`.
        let specs = Substring(Substring(value).utf8.dropFirst(6)).split(separator: ",")
            .map { $0.trimmingOWS() }
            .filter { !$0.isEmpty }
        guard specs.count == 1, let spec = specs.first, let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[spec.startIndex..<dash]
        let last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let length = Self.number(last) else { return nil }
            self = .suffix(length: length)
            return
        }
        guard let start = Self.number(first) else { return nil }
        if last.isEmpty {
            self = .from(first: start, last: nil)
            return
        }
        guard let end = Self.number(last), end >= start else { return nil }
        self = .from(first: start, last: end)
    }

    /// The bytes of a representation `length` bytes long that this range selects; nil when it
    /// selects none (§14.1.1: a first position at or past the end, a zero-length suffix, or any
    /// range of an empty representation), which is answered 416.
    public func resolve(length: Int) -> Range<Int>? {
        switch self {
        case .from(let first, let last):
            guard first < length else { return nil }
            return first..<(min(last ?? Int.max - 1, length - 1) + 1)
        case .suffix(let count):
            guard count > 0, length > 0 else { return nil }
            return max(length - count, 0)..<length
        }
    }

    /// 1*DIGIT; positions past `Int.max` are clamped there (still "past the end" of anything).
    private static func number(_ digits: Substring) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for digit in digits.utf8 {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            value = overflowTimes || overflowSum ? Int.max : sum
        }
        return value
    }
}
