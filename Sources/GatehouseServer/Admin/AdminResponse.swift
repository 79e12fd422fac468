// AdminResponse: what an admin endpoint answers.
import GatehouseCore

/// A complete response of the admin listener.
struct AdminResponse: Sendable {
    var status: Int
    var contentType: String
    var body: String

    static func json(_ status: Int, _ value: JSONValue) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json", body: value.encoded)
    }

    static func error(_ error: GatehouseError) -> AdminResponse {
        AdminResponse(status: error.status, contentType: "application/json", body: error.jsonBody)
    }
}
