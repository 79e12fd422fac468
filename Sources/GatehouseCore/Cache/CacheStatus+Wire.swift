// CacheStatus+Wire: the Cache-Status field written as bytes, for responses encoded without HTTPHeaders.
import NIOCore

extension CacheStatus {
    /// Writes `Cache-Status: …\r\n`: every response carries one, so it is never built as a String.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("Cache-Status: ")
        writeValue(into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// Writes the field value, `gatehouse; hit; ttl=25` and the like.
    public func writeValue(into buffer: inout ByteBuffer) {
        buffer.writeString(Self.cacheName)
        switch self {
        case .hit(let ttl):
            buffer.writeStaticString("; hit; ttl=")
            buffer.writeDecimal(Int(ttl))
        case .staleWhileRevalidate(let ttl):
            buffer.writeStaticString("; hit; fwd=stale; ttl=")
            buffer.writeDecimal(Int(ttl))
        case .staleIfError(let ttl, let fwdStatus):
            buffer.writeStaticString("; fwd=stale")
            Self.writeForwardStatus(fwdStatus, into: &buffer)
            buffer.writeStaticString("; ttl=")
            buffer.writeDecimal(Int(ttl))
            buffer.writeStaticString("; detail=stale-if-error")
        case .forward(let reason, let fwdStatus, let ttl, let stored, let collapsed):
            buffer.writeStaticString("; fwd=")
            buffer.writeString(reason.rawValue)
            Self.writeForwardStatus(fwdStatus, into: &buffer)
            if let ttl {
                buffer.writeStaticString("; ttl=")
                buffer.writeDecimal(Int(ttl))
            }
            if stored { buffer.writeStaticString("; stored") }
            if collapsed { buffer.writeStaticString("; collapsed") }
        }
    }

    private static func writeForwardStatus(_ status: UInt?, into buffer: inout ByteBuffer) {
        guard let status else { return }
        buffer.writeStaticString("; fwd-status=")
        buffer.writeDecimal(Int(status))
    }
}
