// UpstreamFailure: the ways an exchange with an origin server can fail.
import GatehouseCore

/// Why an upstream exchange ended early; maps to 502 or 504 when nothing was sent to the client yet.
enum UpstreamFailure: Error, Equatable {
    /// No connection could be made (refused, unreachable, no server available).
    case connectFailed(String)
    /// Connecting took longer than `upstream.connect_timeout`.
    case connectTimeout
    /// The connection closed or was reset before the response completed.
    case connectionClosed(beforeResponseHead: Bool)
    /// No response head, or no body bytes, within `upstream.response_timeout`.
    case responseTimeout
    /// The origin took none of the request body for `upstream.response_timeout` while it was
    /// queued for it (nginx's `proxy_send_timeout`).
    case sendTimeout
    /// The response could not be parsed.
    case invalidResponse(String)
    /// The request's body disagreed with the framing its upstream head declared: a bug of ours,
    /// caught before it could desynchronise the connection (see `UpstreamRequestEncoder`).
    case requestFramingMismatch(RequestFramingMismatch)

    /// The error answered to the client when the response has not started.
    var gatehouseError: GatehouseError {
        switch self {
        case .connectFailed(let reason):
            GatehouseError(.badGateway, "Upstream connection failed", source: .upstream, cause: StringCause(reason))
        case .connectTimeout:
            GatehouseError(.gatewayTimeout, "Upstream did not accept the connection in time", source: .upstream)
        case .connectionClosed(beforeResponseHead: true):
            GatehouseError(.badGateway, "Upstream closed the connection before responding", source: .upstream)
        case .connectionClosed(beforeResponseHead: false):
            // A response withheld from the client (a range fill) and cut short: it did respond.
            GatehouseError(.badGateway, "Upstream closed the connection before its response ended", source: .upstream)
        case .responseTimeout:
            GatehouseError(.gatewayTimeout, "Upstream did not respond in time", source: .upstream)
        case .sendTimeout:
            GatehouseError(.gatewayTimeout, "Upstream did not accept the request body in time", source: .upstream)
        case .invalidResponse(let reason):
            GatehouseError(.badGateway, "Upstream sent an invalid response", source: .upstream, cause: StringCause(reason))
        case .requestFramingMismatch(let mismatch):
            GatehouseError(.internalError, "The request could not be forwarded", source: .internalFailure, cause: mismatch)
        }
    }

    /// Whether the request may have reached the origin (and a write been carried out): only
    /// not when no connection was made. (A framing mismatch is caught at the bytes that break
    /// the declared framing: what went before may be a whole request to the origin.)
    var mayHaveReachedOrigin: Bool {
        switch self {
        case .connectFailed, .connectTimeout: false
        case .connectionClosed, .responseTimeout, .sendTimeout, .invalidResponse, .requestFramingMismatch: true
        }
    }

    /// Label for `gatehouse_upstream_errors_total{kind}`.
    var metricKind: String {
        switch self {
        case .connectFailed: "connect"
        case .connectTimeout: "connect_timeout"
        case .connectionClosed: "reset"
        // The same knob as `responseTimeout`, so the same label (no new series to watch).
        case .responseTimeout, .sendTimeout: "timeout"
        case .invalidResponse: "invalid_response"
        case .requestFramingMismatch: "request_framing"
        }
    }
}

/// A plain-text cause for log lines.
struct StringCause: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
