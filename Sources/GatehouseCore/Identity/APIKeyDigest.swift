// APIKeyDigest: the loggable, stable name of an API key — a truncated SHA-256, never the key.

import Crypto

/// Turns an API key into the identifier that stands for it in logs, rate limits and cache keys.
///
/// Plain SHA-256 rather than a keyed hash: every Gatehouse instance sharing a Redis store must
/// derive the same identifier, and it must survive restarts, without a secret to distribute.
enum APIKeyDigest {
    /// Marks identifiers that came from an API key, so they cannot collide with a JWT or header user.
    static let prefix = "key:"
    /// 32 hex digits (128 bits): collisions stay out of reach while log lines stay short.
    static let hexDigits = 32

    /// `key:` followed by the first 32 hex digits of SHA-256 of the key's bytes as sent (a
    /// field value, held as `FieldValueBytes` describes: its UTF-8 would differ for non-ASCII).
    static func identifier(for key: some StringProtocol) -> String {
        digest(of: FieldValueBytes.bytes(of: key), prefix: prefix)
    }

    /// `prefix` followed by the first 32 hex digits of SHA-256 of `text`'s UTF-8 bytes.
    static func prefixedDigest(of text: some StringProtocol, prefix: String) -> String {
        digest(of: Array(text.utf8), prefix: prefix)
    }

    private static func digest(of bytes: [UInt8], prefix: String) -> String {
        let digest = SHA256.hash(data: bytes)
        var result = prefix
        result.reserveCapacity(prefix.utf8.count + hexDigits)
        for byte in digest.prefix(hexDigits / 2) {
            result.unicodeScalars.append(hexDigit(byte >> 4))
            result.unicodeScalars.append(hexDigit(byte & 0x0F))
        }
        return result
    }

    private static func hexDigit(_ nibble: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10)
    }
}
