// RedisCacheStore+Record: what one cache key holds in Redis — an entry, or the Vary names of a URL's variants.
import GatehouseCore
import NIOCore

extension RedisCacheStore {
    /// The value of a primary or variant key: `E` ⟨expires⟩ `\n` ⟨`CacheEntry.serialized()`⟩, or
    /// `V` ⟨expires⟩ `\n` ⟨Vary names joined by `,`⟩. `expires` (decimal seconds, caller's clock)
    /// is checked against the `now` of each lookup, because the Redis TTL runs on Redis' clock and
    /// the policy's clock is the caller's; the TTL only reclaims the memory.
    enum Record: Equatable, Sendable {
        case entry(CacheEntry, expires: Int64)
        case varies([String], expires: Int64)

        /// Header names are tokens: they never contain the separator.
        static let nameSeparator: Character = ","

        /// The largest `expires` written: Lua formats it as an integer through a double.
        static let latestExpiry: Int64 = 1 << 52

        /// The encoded entry record (variants are written by the store script from their names).
        static func encodeEntry(_ entry: CacheEntry, expires: Int64) -> ByteBuffer {
            let serialized = entry.serialized()
            var buffer = ByteBufferAllocator().buffer(capacity: serialized.readableBytes + 24)
            buffer.writeString("E\(min(expires, latestExpiry))\n")
            buffer.writeImmutableBuffer(serialized)
            return buffer
        }

        /// Nil for anything that is not a well-formed record.
        init?(_ value: ByteBuffer) {
            var buffer = value
            guard let kind = buffer.readInteger(as: UInt8.self),
                  let newline = buffer.readableBytesView.prefix(24).firstIndex(of: UInt8(ascii: "\n")),
                  let digits = buffer.readString(length: newline - buffer.readerIndex),
                  let expires = Int64(digits)
            else { return nil }
            buffer.moveReaderIndex(forwardBy: 1)
            switch kind {
            case UInt8(ascii: "E"):
                guard let entry = CacheEntry(serialized: buffer) else { return nil }
                self = .entry(entry, expires: expires)
            case UInt8(ascii: "V"):
                let names = String(buffer: buffer).split(separator: Self.nameSeparator).map(String.init)
                self = .varies(names, expires: expires)
            default:
                return nil
            }
        }

        var expires: Int64 {
            switch self {
            case .entry(_, let expires), .varies(_, let expires): expires
            }
        }
    }
}
