// PatternedBytes: test bodies whose bytes differ from one offset to the next, so a shifted, repeated or truncated copy cannot pass.

/// `count` bytes of a pattern that does not repeat within 251 × 256 bytes.
public func patternedBytes(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) }
}
