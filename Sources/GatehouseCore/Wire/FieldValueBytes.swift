// FieldValueBytes: a field value's wire bytes held in a String and written back byte for byte (RFC 9110 §5.5).
import NIOCore

/// `HTTPHeaders` holds values as Strings, but a field value is bytes: obs-text (0x80–0xFF) is
/// opaque to HTTP, and a proxy relays it unchanged (nginx does). Read as UTF-8, an invalid byte
/// became U+FFFD: `caf\xE9` reached the client as `caf\xEF\xBF\xBD`, and two values differing in
/// such a byte were one `Vary` variant, one `ETag`, one API key.
///
/// So a value that is not all ASCII is held as ISO-8859-1 — what obs-text historically was:
/// byte b is the scalar U+00bb — and every writer of field values turns each scalar up to U+00FF
/// back into its one byte. Valid UTF-8 is held that way too (`é` sent as C3 A9 is the two
/// scalars `Ã©`): decoded as UTF-8 it would be the same String as the byte E9 sent alone, and
/// could not be written back as both. The mapping is injective, so distinct bytes stay distinct
/// wherever the String is compared or keyed; ASCII, nearly every value, is unchanged and
/// costs one scan of its bytes.
///
/// A value with a scalar beyond U+00FF was made by Gatehouse itself (no parsed value has one;
/// Gatehouse's own values are ASCII) and is written as its UTF-8.
public enum FieldValueBytes {
    /// The String holding `bytes`, a field value as sent.
    public static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        let high = nonASCIICount(bytes)
        if high == 0 {
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: bytes.count + high) { out in
            var at = 0
            for byte in bytes {
                if byte < 0x80 {
                    out[at] = byte
                    at += 1
                } else {
                    // U+0080–U+00FF in UTF-8: 110000xx 10xxxxxx.
                    out[at] = 0xC0 | (byte >> 6)
                    out[at + 1] = 0x80 | (byte & 0x3F)
                    at += 2
                }
            }
            return at
        }
    }

    /// The String holding the `length` bytes of `buffer` at `index`.
    public static func string(_ buffer: ByteBuffer, at index: Int, length: Int) -> String? {
        guard index >= buffer.readerIndex, length >= 0, index - buffer.readerIndex + length <= buffer.readableBytes else {
            return nil
        }
        return buffer.withUnsafeReadableBytes { bytes in
            let start = index - buffer.readerIndex
            return string(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
        }
    }

    /// The wire bytes of `value`.
    public static func bytes(of value: some StringProtocol) -> [UInt8] {
        let utf8 = value.utf8
        return [UInt8](unsafeUninitializedCapacity: utf8.count) { out, count in
            let out = UnsafeMutableRawBufferPointer(out)
            // Not contiguous (a bridged string): through a copy.
            count = utf8.withContiguousStorageIfAvailable { write(utf8: $0, into: out) }
                ?? Array(utf8).withUnsafeBufferPointer { write(utf8: $0, into: out) }
        }
    }

    /// Writes the wire bytes of `value` into `out` (room for its UTF-8 at least) at `offset`;
    /// returns the offset after them.
    static func write(_ value: String, into out: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        value.withUTF8Bytes { offset + write(utf8: $0, into: UnsafeMutableRawBufferPointer(rebasing: out[offset...])) }
    }

    /// Writes the wire bytes of the UTF-8 `utf8` into `out`; returns their count: a copy when
    /// all ASCII; else one byte per scalar when every scalar is at most U+00FF; else the UTF-8.
    private static func write(utf8: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Int {
        let source = UnsafeRawBufferPointer(utf8)
        if nonASCIICount(source) == 0 {
            out.copyMemory(from: source)
            return utf8.count
        }
        var at = 0
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x80 {
                out[at] = byte
                index += 1
            } else if byte & 0xFE == 0xC2, index + 1 < utf8.count {
                // C2 or C3 leads a scalar U+0080–U+00FF, whose top two bits are the lead's low two.
                out[at] = (byte & 0x03) << 6 | (utf8[index + 1] & 0x3F)
                index += 2
            } else {
                out.copyMemory(from: source)
                return utf8.count
            }
            at += 1
        }
        return at
    }

    /// How many bytes of `bytes` are 0x80 or above; a word at a time while there are none.
    static func nonASCIICount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var index = 0
        let words = bytes.count / 8
        while index < words * 8 {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        var count = 0
        while index < bytes.count {
            if bytes[index] >= 0x80 { count += 1 }
            index += 1
        }
        return count
    }
}
