// RawErrorResponse: a complete, pre-encoded error response for use below the HTTP codec.
import GatehouseCore
import NIOCore

/// Encodes a `GatehouseError` as the bytes of a whole HTTP/1.1 response that closes the
/// connection; used where no request was parsed (timeouts, parse errors, connection limit).
enum RawErrorResponse {
    static func bytes(for error: GatehouseError, requestID: String? = nil, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = error.jsonBody
        var text = "HTTP/1.1 \(error.status) \(error.kind.reasonPhrase)\r\n"
        text += "Date: \(HTTPDate.format(.now()))\r\n"  // rare answers: formatted each time
        text += "Content-Type: application/json\r\n"
        text += "Content-Length: \(body.utf8.count)\r\n"
        if let requestID {
            text += "X-Request-Id: \(requestID)\r\n"
        }
        text += "Connection: close\r\n\r\n"
        text += body
        return allocator.buffer(string: text)
    }
}
