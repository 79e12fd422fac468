// Strong entity tags from a hash of the body, and If-None-Match matching.
import NIOCore

/// A 64-bit FNV-1a hash: fast, stable across runs and machines, and plenty to tell bodies apart.
enum ETag {
    /// `"0123456789abcdef"`, quotes included.
    static func of(_ body: ByteBuffer) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        body.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
        return Self.quoted(hash)
    }

    /// An ETag for a body generated from `seed` without materialising the body.
    static func of(seed: String) -> String {
        var buffer = ByteBuffer()
        buffer.writeString(seed)
        return Self.of(buffer)
    }

    /// Whether an `If-None-Match` field value (all its lines) matches `etag`, with the weak
    /// comparison RFC 9110 §13.1.2 prescribes.
    static func matches(ifNoneMatch values: [String], etag: String) -> Bool {
        let target = Self.opaque(etag)
        for value in values {
            for candidate in value.split(separator: ",") {
                let trimmed = candidate.trimmingSpaces
                if trimmed == "*" || Self.opaque(trimmed) == target {
                    return true
                }
            }
        }
        return false
    }

    private static func opaque<S: StringProtocol>(_ tag: S) -> Substring {
        let tag = Substring(tag)
        return tag.hasPrefix("W/") ? tag.dropFirst(2) : tag
    }

    private static func quoted(_ hash: UInt64) -> String {
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }
}
