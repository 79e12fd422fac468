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
        next().text
    }

    /// A new id as its bits: text only if and when something needs it.
    public mutating func next() -> RequestIDValue {
        let high = generator.next()
        let low = generator.next()
        return .generated(high: high, low: low)
    }
}
