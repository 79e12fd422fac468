// FNV1a: a small, process-independent hash for key hash tags and serialisation checksums.

/// FNV-1a. Swift's `Hasher` is seeded per process, so keys that must agree across Gatehouse
/// instances (Redis keys) use this instead. Not collision-resistant: it only ever names a
/// shard or catches accidental corruption, never decides that two keys are equal.
enum FNV1a {
    static func hash64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func hash32<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in bytes {
            hash = (hash ^ UInt32(byte)) &* 0x0100_0193
        }
        return hash
    }

    /// Sixteen lower-case hex digits.
    static func hex(_ value: UInt64) -> String {
        HexDigits.string(value)
    }
}
