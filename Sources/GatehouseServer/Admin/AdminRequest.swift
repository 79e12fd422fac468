// AdminRequest: a whole request to the admin listener (admin bodies are small and read whole).
import NIOHTTP1

struct AdminRequest: Sendable {
    var method: HTTPMethod
    /// The path without the query.
    var path: String
    var headers: HTTPHeaders
    var body: [UInt8]
}
