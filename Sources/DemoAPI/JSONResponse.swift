// A complete, non-streamed answer: status, JSON body and the few headers that vary by endpoint.
import NIOCore
import NIOHTTP1

/// Framing (`Content-Length`, `Date`, `Connection`) and caching headers are added when it is
/// written, by ``ResponseHeadBuilder``.
struct JSONResponse: Sendable {
    var status: HTTPResponseStatus
    /// `nil` for answers without a body (204).
    var body: ByteBuffer?
    var caching: ResponseCaching
    var extraHeaders: [(name: String, value: String)] = []

    static func ok(_ body: ByteBuffer, caching: ResponseCaching) -> JSONResponse {
        JSONResponse(status: .ok, body: body, caching: caching)
    }

    static func error(_ error: APIError, allocator: ByteBufferAllocator) -> JSONResponse {
        JSONResponse(status: error.code.status, body: error.encoded(allocator: allocator), caching: .unspecified)
    }

    static var noContent: JSONResponse {
        JSONResponse(status: .noContent, body: nil, caching: .noStore)
    }
}
