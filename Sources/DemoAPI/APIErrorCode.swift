// The machine-readable error codes of the demo API, with the status each one answers.
import NIOHTTP1

/// The `error.code` values the demo API answers, the same vocabulary as Gatehouse's own errors.
enum APIErrorCode: String, Sendable {
    case badRequest = "BAD_REQUEST"
    case validationError = "VALIDATION_ERROR"
    case notFound = "NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case conflict = "CONFLICT"
    case payloadTooLarge = "PAYLOAD_TOO_LARGE"
    case internalError = "INTERNAL"

    var status: HTTPResponseStatus {
        switch self {
        case .badRequest, .validationError: return .badRequest
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .conflict: return .conflict
        case .payloadTooLarge: return .payloadTooLarge
        case .internalError: return .internalServerError
        }
    }
}
