// Maps a request path to a Route.

/// Exact matches only: no trailing-slash or case folding, so every resource has one URL (and one
/// cache key in front of it).
enum Router {
    static func route(path: Substring) -> Route? {
        guard path.first == "/" else { return nil }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        switch segments.count {
        case 1:
            switch segments[0] {
            case "health": return .health
            case "nocache": return .nocache
            case "echo": return .echo
            case "headers": return .headers
            case "stats": return .stats
            default: return nil
            }
        case 2:
            switch segments[0] {
            case "api": return segments[1] == "users" ? .users : nil
            case "bytes": return segments[1].isEmpty ? nil : .bytes(count: segments[1])
            case "delay": return segments[1].isEmpty ? nil : .delay(milliseconds: segments[1])
            default: return nil
            }
        case 3:
            guard segments[0] == "api", segments[1] == "users", !segments[2].isEmpty else { return nil }
            return .user(id: segments[2])
        default:
            return nil
        }
    }
}
