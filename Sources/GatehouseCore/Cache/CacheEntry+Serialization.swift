// CacheEntry+Serialization: a compact, versioned, binary-safe encoding of an entry (for the Redis store).
import NIOCore
import NIOHTTP1

/// Layout, big-endian, version 1:
/// `"GHCE"` · u8 version · u16 status · u16+bytes reason · i64 response time · i64 initial age ·
/// i64 lifetime · i64 stale-while-revalidate · i64 stale-if-error · u8 flags ·
/// u16 count × (u16+bytes Vary name) · u32 count × (u16+bytes name, u32+bytes value) ·
/// u32 FNV-1a checksum of everything before it · u32+bytes body.
/// The checksum covers the metadata, not the body: decoding a hit stays cheap, and a corrupt
/// body cannot make the entry lie about its freshness or headers. A field value is its bytes as
/// on the wire (`FieldValueBytes`), which for every value a version 1 record held before
/// obs-text was kept (ASCII and valid UTF-8) is what it already was.
extension CacheEntry {
    static let serializationMagic: [UInt8] = Array("GHCE".utf8)
    static let serializationVersion: UInt8 = 1

    /// The encoded entry.
    public func serialized(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: storageCost + 64)
        buffer.writeBytes(Self.serializationMagic)
        buffer.writeInteger(Self.serializationVersion)
        buffer.writeInteger(UInt16(clamping: status.code))
        Self.write(status.reasonPhrase, lengthAs: UInt16.self, to: &buffer)
        buffer.writeInteger(responseTime.secondsSince1970)
        buffer.writeInteger(initialAge)
        buffer.writeInteger(freshness.lifetime)
        buffer.writeInteger(freshness.staleWhileRevalidate)
        buffer.writeInteger(freshness.staleIfError)
        buffer.writeInteger(UInt8(freshness.alwaysRevalidate ? 1 : 0))
        buffer.writeInteger(UInt16(clamping: varyNames.count))
        for name in varyNames.prefix(Int(UInt16.max)) {
            Self.write(name, lengthAs: UInt16.self, to: &buffer)
        }
        buffer.writeInteger(UInt32(clamping: headers.count))
        for (name, value) in headers {
            Self.write(name, lengthAs: UInt16.self, to: &buffer)
            Self.writeValue(value, to: &buffer)
        }
        let checksum = buffer.withUnsafeReadableBytes { FNV1a.hash32($0) }
        buffer.writeInteger(checksum)
        buffer.writeInteger(UInt32(clamping: body.readableBytes))
        buffer.writeImmutableBuffer(body)
        return buffer
    }

    /// Decodes `serialized()` output; nil for anything truncated, corrupt, or of another version.
    public init?(serialized: ByteBuffer) {
        var buffer = serialized
        guard buffer.readBytes(length: 4) == Self.serializationMagic,
              buffer.readInteger(as: UInt8.self) == Self.serializationVersion,
              let code = buffer.readInteger(as: UInt16.self), (100...999).contains(code),
              let reason = Self.readString(lengthAs: UInt16.self, from: &buffer),
              let responseTime = buffer.readInteger(as: Int64.self),
              let initialAge = buffer.readInteger(as: Int64.self), initialAge >= 0,
              let lifetime = buffer.readInteger(as: Int64.self), lifetime >= 0,
              let staleWhileRevalidate = buffer.readInteger(as: Int64.self), staleWhileRevalidate >= 0,
              let staleIfError = buffer.readInteger(as: Int64.self), staleIfError >= 0,
              let flags = buffer.readInteger(as: UInt8.self), flags <= 1,
              let varyCount = buffer.readInteger(as: UInt16.self)
        else { return nil }
        var varyNames: [String] = []
        for _ in 0..<varyCount {
            guard let name = Self.readString(lengthAs: UInt16.self, from: &buffer), !name.isEmpty else { return nil }
            varyNames.append(name)
        }
        // Each header takes at least six bytes, which bounds the count before anything is allocated.
        guard let headerCount = buffer.readInteger(as: UInt32.self), Int(headerCount) <= buffer.readableBytes / 6 else {
            return nil
        }
        var headers: [(String, String)] = []
        headers.reserveCapacity(Int(headerCount))
        for _ in 0..<headerCount {
            guard let name = Self.readString(lengthAs: UInt16.self, from: &buffer), !name.isEmpty,
                  let valueLength = buffer.readInteger(as: UInt32.self),
                  let value = buffer.readSlice(length: Int(valueLength)),
                  Self.isFieldSafe(name.utf8, isName: true), Self.isFieldSafe(value.readableBytesView, isName: false)
            else { return nil }
            headers.append((name, value.withUnsafeReadableBytes(FieldValueBytes.string)))
        }
        let metadataLength = buffer.readerIndex - serialized.readerIndex
        let expected = serialized.getSlice(at: serialized.readerIndex, length: metadataLength)
            .map { $0.withUnsafeReadableBytes { FNV1a.hash32($0) } }
        guard let checksum = buffer.readInteger(as: UInt32.self), checksum == expected,
              let bodyLength = buffer.readInteger(as: UInt32.self),
              let body = buffer.readSlice(length: Int(bodyLength)),
              buffer.readableBytes == 0
        else { return nil }
        self.init(
            status: HTTPResponseStatus(statusCode: Int(code), reasonPhrase: reason),
            headers: HTTPHeaders(headers),
            body: body,
            responseTime: CacheTime(secondsSince1970: responseTime),
            initialAge: initialAge,
            freshness: CacheFreshness(
                lifetime: lifetime,
                staleWhileRevalidate: staleWhileRevalidate,
                staleIfError: staleIfError,
                alwaysRevalidate: flags == 1
            ),
            varyNames: varyNames
        )
    }

    /// Decodes from raw bytes (e.g. a Redis reply).
    public init?(serialized bytes: [UInt8]) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        self.init(serialized: buffer)
    }

    private static func write<Length: FixedWidthInteger>(_ text: String, lengthAs: Length.Type, to buffer: inout ByteBuffer) {
        let bytes = text.utf8.prefix(Int(clamping: Length.max))
        buffer.writeInteger(Length(bytes.count))
        buffer.writeBytes(bytes)
    }

    /// A u32 length and the value's wire bytes, written in place (a value is far below 4 GiB:
    /// the head it came in was bounded by `max_header_bytes`).
    private static func writeValue(_ value: String, to buffer: inout ByteBuffer) {
        let lengthAt = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let length = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: value.utf8.count) { out in
            FieldValueBytes.write(value, into: out, at: 0)
        }
        buffer.setInteger(UInt32(clamping: length), at: lengthAt)
    }

    /// A record from Redis is written by any instance (or anyone with access): a field that
    /// could end a line, or a name that could end a name, would split the responses and the
    /// revalidation requests it is copied into. Fields Gatehouse stores came through llhttp
    /// and never hold these bytes.
    private static func isFieldSafe(_ bytes: some Sequence<UInt8>, isName: Bool) -> Bool {
        !bytes.contains { byte in
            byte == 0x0D || byte == 0x0A || byte == 0x00 || (isName && (byte == UInt8(ascii: ":") || byte <= 0x20))
        }
    }

    private static func readString<Length: FixedWidthInteger>(lengthAs: Length.Type, from buffer: inout ByteBuffer) -> String? {
        guard let length = buffer.readInteger(as: Length.self),
              let bytes = buffer.readBytes(length: Int(length))
        else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
