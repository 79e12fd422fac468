// FuzzedBytes: reads fixed-size numbers off the front of a fuzz input, then hands back the rest.

/// A cursor over the input; reading past the end yields zeros, so every input is usable.
struct FuzzedBytes {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func int64() -> Int64 {
        var value: UInt64 = 0
        for _ in 0..<8 {
            let byte = position < bytes.count ? bytes[position] : 0
            position += 1
            value = value << 8 | UInt64(byte)
        }
        return Int64(bitPattern: value)
    }

    /// Whatever has not been read.
    var rest: ArraySlice<UInt8> {
        bytes[min(position, bytes.count)...]
    }
}
