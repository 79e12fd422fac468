// GatehouseError: the one error type of the proxy, carrying the HTTP status it maps to.

/// An error the proxy answers itself, in the JSON format of DESIGN.md §8.
///
/// Every refusal goes through this type; anything else that escapes a stage is wrapped as
/// `.internal` in one place (`GatehouseError.wrapping(_:)`), so no error reaches a client unformatted.
public struct GatehouseError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, which fixes the status and the machine-readable code.
    public enum Kind: Sendable, Equatable {
        case badRequest
        case unauthenticated
        case forbidden
        case notFound
        /// A known admin endpoint asked with a method it does not take (an extension of DESIGN.md §8's list).
        case methodNotAllowed
        case requestTimeout
        case payloadTooLarge
        case headersTooLarge
        /// A cached response holds none of the bytes a `Range` asks for (an extension of DESIGN.md §8's list).
        case rangeNotSatisfiable
        case rateLimited
        case internalError
        case badGateway
        case unavailable
        case gatewayTimeout

        /// The HTTP status code sent for this kind.
        public var status: Int {
            switch self {
            case .badRequest: 400
            case .unauthenticated: 401
            case .forbidden: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .requestTimeout: 408
            case .payloadTooLarge: 413
            case .headersTooLarge: 431
            case .rangeNotSatisfiable: 416
            case .rateLimited: 429
            case .internalError: 500
            case .badGateway: 502
            case .unavailable: 503
            case .gatewayTimeout: 504
            }
        }

        /// The `error.code` of the JSON body.
        public var code: String {
            switch self {
            case .badRequest: "BAD_REQUEST"
            case .unauthenticated: "UNAUTHENTICATED"
            case .forbidden: "FORBIDDEN"
            case .notFound: "NOT_FOUND"
            case .methodNotAllowed: "METHOD_NOT_ALLOWED"
            case .requestTimeout: "REQUEST_TIMEOUT"
            case .payloadTooLarge: "PAYLOAD_TOO_LARGE"
            case .headersTooLarge: "HEADERS_TOO_LARGE"
            case .rangeNotSatisfiable: "RANGE_NOT_SATISFIABLE"
            case .rateLimited: "RATE_LIMITED"
            case .internalError: "INTERNAL"
            case .badGateway: "BAD_GATEWAY"
            case .unavailable: "UNAVAILABLE"
            case .gatewayTimeout: "GATEWAY_TIMEOUT"
            }
        }

        /// The reason phrase of the status line.
        public var reasonPhrase: String {
            switch self {
            case .badRequest: "Bad Request"
            case .unauthenticated: "Unauthorized"
            case .forbidden: "Forbidden"
            case .notFound: "Not Found"
            case .methodNotAllowed: "Method Not Allowed"
            case .requestTimeout: "Request Timeout"
            case .payloadTooLarge: "Content Too Large"
            case .headersTooLarge: "Request Header Fields Too Large"
            case .rangeNotSatisfiable: "Range Not Satisfiable"
            case .rateLimited: "Too Many Requests"
            case .internalError: "Internal Server Error"
            case .badGateway: "Bad Gateway"
            case .unavailable: "Service Unavailable"
            case .gatewayTimeout: "Gateway Timeout"
            }
        }
    }

    /// Which side of the proxy the failure came from (pingora's error source), for logs and metrics.
    public enum Source: String, Sendable {
        case downstream
        case upstream
        case internalFailure = "internal"
    }

    public var kind: Kind
    /// A sentence for humans; never contains secrets.
    public var message: String
    /// Structured details (`details` in the JSON body), e.g. `[["policy": "per-ip"]]`.
    public var details: [[String: JSONValue]]
    public var source: Source
    /// The underlying error, for logs only; never sent to the client.
    public var cause: (any Error)?

    public init(
        _ kind: Kind,
        _ message: String,
        details: [[String: JSONValue]] = [],
        source: Source = .downstream,
        cause: (any Error)? = nil
    ) {
        self.kind = kind
        self.message = message
        self.details = details
        self.source = source
        self.cause = cause
    }

    /// The HTTP status code this error answers with.
    public var status: Int { kind.status }

    public var description: String {
        var text = "\(kind.code) (\(kind.status), \(source.rawValue)): \(message)"
        if let cause {
            text += " — cause: \(String(describing: cause))"
        }
        return text
    }

    /// The single place where an unexpected error becomes a 500.
    public static func wrapping(_ error: any Error) -> GatehouseError {
        if let known = error as? GatehouseError {
            return known
        }
        return GatehouseError(.internalError, "Internal error", source: .internalFailure, cause: error)
    }
}
