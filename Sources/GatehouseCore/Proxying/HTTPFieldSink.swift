// HTTPFieldSink: where a head's fields go as they are produced — a head being built, or wire bytes.
import NIOCore
import NIOHTTP1

/// Lets one rewriting pass fill either an `HTTPHeaders` (when the head is kept and adjusted,
/// as the cache does) or the bytes sent upstream directly (the usual forwarded request,
/// which then never exists as a head of its own).
public protocol HTTPFieldSink {
    mutating func appendField(name: String, value: String)
}

extension HTTPHeaders: HTTPFieldSink {
    public mutating func appendField(name: String, value: String) {
        add(name: name, value: value)
    }
}

extension ByteBuffer: HTTPFieldSink {
    public mutating func appendField(name: String, value: String) {
        writeHTTPField(name: name, value: value)
    }
}
