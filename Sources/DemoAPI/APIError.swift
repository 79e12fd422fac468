// An error answer of the demo API and its JSON body.
import NIOCore

/// `{"error": {"code": ..., "message": ..., "details": [...]}}`; `details` only when there are some.
struct APIError: Error, Sendable {
    var code: APIErrorCode
    var message: String
    var details: [FieldError] = []

    static func notFound(_ message: String) -> APIError {
        APIError(code: .notFound, message: message)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: .badRequest, message: message)
    }

    static func validation(_ message: String, _ details: [FieldError]) -> APIError {
        APIError(code: .validationError, message: message, details: details)
    }

    func encoded(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 96 + self.message.utf8.count + self.details.count * 64)
        buffer.writeStaticString("{\"error\":{\"code\":")
        buffer.writeJSONString(self.code.rawValue)
        buffer.writeStaticString(",\"message\":")
        buffer.writeJSONString(self.message)
        if !self.details.isEmpty {
            buffer.writeStaticString(",\"details\":[")
            for (index, detail) in self.details.enumerated() {
                if index > 0 { buffer.writeStaticString(",") }
                buffer.writeStaticString("{\"field\":")
                buffer.writeJSONString(detail.field)
                buffer.writeStaticString(",\"message\":")
                buffer.writeJSONString(detail.message)
                buffer.writeStaticString("}")
            }
            buffer.writeStaticString("]")
        }
        buffer.writeStaticString("}}")
        return buffer
    }
}
