// RedisValue+Reply: converts hiredis' `redisReply` tree into Swift values (copying the bytes).
import CHiredis
import NIOCore

extension RedisValue {
    /// Copies `reply` (and its children) out of hiredis' memory; the caller still frees `reply`.
    init(reply: UnsafePointer<redisReply>, allocator: ByteBufferAllocator) throws(RedisError) {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            var buffer = allocator.buffer(capacity: node.len)
            if node.len > 0, let bytes = node.str {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: node.len))
            }
            self = .bulkString(buffer)
        case REDIS_REPLY_STATUS:
            self = .simpleString(Self.text(node))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(node))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(node.integer))
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(node.elements)
            if node.elements > 0, let children = node.element {
                for index in 0..<node.elements {
                    guard let child = children[index] else {
                        throw RedisError.protocolError("array element \(index) missing")
                    }
                    elements.append(try RedisValue(reply: child, allocator: allocator))
                }
            }
            self = .array(elements)
        default:
            throw RedisError.protocolError("unknown reply type \(node.type)")
        }
    }

    private static func text(_ node: redisReply) -> String {
        guard node.len > 0, let bytes = node.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: node.len), as: UTF8.self)
    }
}
