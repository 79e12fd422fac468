// RequestIDGenerator: fast request ids from a generator seeded once, not a system call per request.

/// Seeded from the system's random source once, then SplitMix64: request ids need to be unique
/// and unguessable enough for correlation, not cryptographic, and `getrandom` per request showed
/// up in profiles. One generator per connection (or event loop); not thread-safe.
public struct RequestIDGenerator: Sendable {
    private var generator: SplitMix64

    public init() {
        var system = SystemRandomNumberGenerator()
        generator = SplitMix64(state: system.next())
    }

    /// A new id: 32 lower-case hex digits (128 bits).
    public mutating func generate() -> String {
        let high = generator.next()
        let low = generator.next()
        // One allocation, no intermediate strings: this runs for every request.
        return String(unsafeUninitializedCapacity: 32) { bytes in
            HexDigits.write(high, into: UnsafeMutableBufferPointer(rebasing: bytes[0..<16]))
            HexDigits.write(low, into: UnsafeMutableBufferPointer(rebasing: bytes[16..<32]))
            return 32
        }
    }
}
