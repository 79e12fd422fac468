// RequestIDGenerator: fast request ids from a generator seeded once, not a system call per request.

/// SplitMix64 seeded from the system's random source once: request ids need to be unique and
/// unguessable enough for correlation, not cryptographic, and `getrandom` per request showed
/// up in profiles. One generator per connection (or event loop); not thread-safe.
public struct RequestIDGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A new id: 32 lower-case hex digits (128 bits).
    public mutating func generate() -> String {
        RequestID.hex(next()) + RequestID.hex(next())
    }
}
