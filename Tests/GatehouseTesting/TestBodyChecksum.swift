// An order-sensitive 64-bit checksum of a byte stream that is cheap to compute for a repeated pattern.
import NIOCore

/// A polynomial rolling checksum of a byte stream: `h = h·P + byte (mod 2^64)`, starting from the
/// FNV-1 offset basis, with the FNV-1 prime as `P`.
///
/// It is used instead of FNV-1a because it is linear: the checksum of a pattern repeated to any
/// length takes O(pattern + log length) (``repeating(_:length:)``), so a test can check a streamed
/// 1 GiB body without generating the bytes a second time.
public struct TestBodyChecksum: Sendable, Hashable {
    private static let prime: UInt64 = 0x0000_0100_0000_01B3
    private static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325

    /// The checksum of every byte passed to `update` so far.
    public private(set) var value: UInt64 = Self.offsetBasis
    /// How many bytes were passed to `update` so far.
    public private(set) var byteCount: Int = 0

    /// A checksum of the empty stream.
    public init() {}

    /// Adds `bytes` to the end of the stream.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let p1 = Self.prime
        let p2 = p1 &* p1
        let p3 = p2 &* p1
        let p4 = p3 &* p1
        let p5 = p4 &* p1
        let p6 = p5 &* p1
        let p7 = p6 &* p1
        let p8 = p7 &* p1
        var hash = self.value
        var offset = 0
        let count = bytes.count
        // Eight bytes per step: test bodies reach 1 GiB and this code runs unoptimised in debug
        // builds, where a per-byte loop costs about twice as much.
        while offset + 8 <= count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            hash = hash &* p8
                &+ (word & 0xFF) &* p7
                &+ ((word >> 8) & 0xFF) &* p6
                &+ ((word >> 16) & 0xFF) &* p5
                &+ ((word >> 24) & 0xFF) &* p4
                &+ ((word >> 32) & 0xFF) &* p3
                &+ ((word >> 40) & 0xFF) &* p2
                &+ ((word >> 48) & 0xFF) &* p1
                &+ (word >> 56)
            offset += 8
        }
        while offset < count {
            hash = hash &* p1 &+ UInt64(bytes[offset])
            offset += 1
        }
        self.value = hash
        self.byteCount += count
    }

    /// Adds `bytes` to the end of the stream.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.update($0) }
    }

    /// Adds the readable bytes of `buffer` to the end of the stream.
    public mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.update($0) }
    }

    /// The checksum of `bytes`.
    public static func of(_ bytes: [UInt8]) -> UInt64 {
        var checksum = TestBodyChecksum()
        checksum.update(bytes)
        return checksum.value
    }

    /// The checksum of `length` bytes made by repeating `pattern` (the last repetition cut short);
    /// an empty pattern stands for a single zero byte, as in every body generator of this module.
    public static func repeating(_ pattern: [UInt8], length: Int) -> UInt64 {
        let pattern = Self.effectivePattern(pattern)
        guard length > 0 else { return Self.offsetBasis }
        let whole = Segment(pattern).repeated(length / pattern.count)
        let tail = Segment(pattern[0..<(length % pattern.count)])
        let body = whole.followed(by: tail)
        return Self.offsetBasis &* body.weight &+ body.sum
    }

    /// Body generators cannot repeat nothing, so they all agree to repeat one zero byte instead.
    static func effectivePattern(_ pattern: [UInt8]) -> [UInt8] {
        pattern.isEmpty ? [0] : pattern
    }
}

extension TestBodyChecksum {
    /// A run of bytes reduced to what concatenation needs: `sum` = Σ byteᵢ·P^(n-1-i) and
    /// `weight` = Pⁿ, so that `checksum(a + b) = checksum(a)·weight(b) + sum(b)`.
    private struct Segment {
        var sum: UInt64 = 0
        var weight: UInt64 = 1

        init() {}

        init(_ bytes: some Collection<UInt8>) {
            for byte in bytes {
                self.sum = self.sum &* TestBodyChecksum.prime &+ UInt64(byte)
                self.weight = self.weight &* TestBodyChecksum.prime
            }
        }

        func followed(by next: Segment) -> Segment {
            var combined = Segment()
            combined.sum = self.sum &* next.weight &+ next.sum
            combined.weight = self.weight &* next.weight
            return combined
        }

        /// `count` copies back to back, by square-and-multiply (copies of one segment commute).
        func repeated(_ count: Int) -> Segment {
            var result = Segment()
            var square = self
            var remaining = count
            while remaining > 0 {
                if remaining & 1 == 1 {
                    result = result.followed(by: square)
                }
                square = square.followed(by: square)
                remaining >>= 1
            }
            return result
        }
    }
}
