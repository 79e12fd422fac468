// RedisValue+Accessors: typed views of a reply, nil when the reply is of another kind.
import NIOCore

extension RedisValue {
    /// The text of a status or bulk string reply (bulk bytes decoded as UTF-8).
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let buffer): String(buffer: buffer)
        default: nil
        }
    }

    /// The bytes of a bulk string reply.
    public var bytes: [UInt8]? {
        guard case .bulkString(let buffer) = self else { return nil }
        return Array(buffer.readableBytesView)
    }

    /// The buffer of a bulk string reply.
    public var buffer: ByteBuffer? {
        guard case .bulkString(let buffer) = self else { return nil }
        return buffer
    }

    /// The value of an integer reply.
    public var integer: Int? {
        guard case .integer(let value) = self else { return nil }
        return value
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// The message of an error reply.
    public var errorMessage: String? {
        guard case .error(let message) = self else { return nil }
        return message
    }

    /// True for the error a replica answers a write with (`READONLY You can't write against a
    /// read only replica.`; Redis 6 wraps it in the error of a script that wrote).
    var isReadOnlyRefusal: Bool {
        guard case .error(let message) = self else { return false }
        return message.hasPrefix("READONLY") || message.contains("-READONLY ")
    }

    /// True for a nil bulk string or nil array.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
