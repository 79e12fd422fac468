// The resources the demo API serves, and the methods each one allows.
import NIOHTTP1

/// Path parameters are kept as written; the endpoint validates them so a bad one gets a 400
/// (or a 404 for an id that names no user), never a crash.
enum Route: Sendable, Equatable {
    /// `/health`
    case health
    /// `/api/users`
    case users
    /// `/api/users/{id}`
    case user(id: Substring)
    /// `/bytes/{n}`
    case bytes(count: Substring)
    /// `/delay/{ms}`
    case delay(milliseconds: Substring)
    /// `/nocache`
    case nocache
    /// `/echo`
    case echo
    /// `/headers`
    case headers
    /// `/stats`
    case stats

    var allowedMethods: [HTTPMethod] {
        switch self {
        case .users: return [.GET, .HEAD, .POST]
        case .user: return [.GET, .HEAD, .PUT, .PATCH, .DELETE]
        case .echo: return [.POST]
        case .health, .bytes, .delay, .nocache, .headers, .stats: return [.GET, .HEAD]
        }
    }

    /// The `Allow` header of a 405.
    var allowHeader: String {
        self.allowedMethods.map(\.rawValue).joined(separator: ", ")
    }
}
