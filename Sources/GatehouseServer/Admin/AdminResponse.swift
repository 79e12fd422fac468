// AdminResponse: what an admin endpoint answers.
import GatehouseCore
import NIOHTTP1

/// A complete response of the admin listener.
struct AdminResponse: Sendable {
    var status: Int
    var contentType: String
    var body: String
    /// Fields beyond the content's type and length.
    var headers: [(name: String, value: String)] = []

    static func json(_ status: Int, _ value: JSONValue) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json", body: value.encoded)
    }

    /// 405 for a method `request`'s endpoint does not take, with the `Allow` it must carry.
    static func methodNotAllowed(_ request: AdminRequest, allowed: [HTTPMethod]) -> AdminResponse {
        var response = error(GatehouseError(.methodNotAllowed, "\(request.path) does not take \(request.method.rawValue)"))
        response.headers.append(("Allow", allowed.map(\.rawValue).joined(separator: ", ")))
        return response
    }

    /// A 401 says which scheme it wants, as RFC 9110 §11.6.1 requires (the proxy's 401 does too).
    static func error(_ error: GatehouseError) -> AdminResponse {
        var response = AdminResponse(status: error.status, contentType: "application/json", body: error.jsonBody)
        if error.kind == .unauthenticated {
            response.headers.append(("WWW-Authenticate", #"Bearer realm="gatehouse-admin""#))
        }
        return response
    }
}
