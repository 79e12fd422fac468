// RedisArgument: one binary-safe word of a Redis command (name, key, value, number).
import NIOCore

/// One argument of a Redis command. String and integer literals convert implicitly:
/// `client.send(["SET", "key", .bytes(value), "PX", 500])`.
public struct RedisArgument: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        case string(String)
        case bytes([UInt8])
        case buffer(ByteBuffer)
    }

    let storage: Storage

    /// Text, sent as its UTF-8 bytes.
    public static func string(_ text: String) -> RedisArgument { RedisArgument(storage: .string(text)) }
    /// Raw bytes, sent as they are.
    public static func bytes(_ bytes: [UInt8]) -> RedisArgument { RedisArgument(storage: .bytes(bytes)) }
    /// The readable bytes of a buffer, sent as they are.
    public static func buffer(_ buffer: ByteBuffer) -> RedisArgument { RedisArgument(storage: .buffer(buffer)) }
    /// A decimal integer, as Redis expects numbers.
    public static func integer(_ value: Int) -> RedisArgument { RedisArgument(storage: .string(String(value))) }

    /// The number of bytes this argument puts on the wire.
    var byteCount: Int {
        switch storage {
        case .string(let text): text.utf8.count
        case .bytes(let bytes): bytes.count
        case .buffer(let buffer): buffer.readableBytes
        }
    }

    /// Copies the argument's bytes to `destination`, which has room for ``byteCount`` bytes.
    func copyBytes(to destination: UnsafeMutableRawPointer) {
        switch storage {
        case .string(var text):
            text.withUTF8 { utf8 in
                guard let base = utf8.baseAddress else { return }
                destination.copyMemory(from: base, byteCount: utf8.count)
            }
        case .bytes(let bytes):
            bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                destination.copyMemory(from: base, byteCount: raw.count)
            }
        case .buffer(let buffer):
            buffer.withUnsafeReadableBytes { raw in
                guard let base = raw.baseAddress else { return }
                destination.copyMemory(from: base, byteCount: raw.count)
            }
        }
    }
}

extension RedisArgument: ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    public init(stringLiteral value: String) {
        self.storage = .string(value)
    }
}

extension RedisArgument: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self.storage = .string(String(value))
    }
}
