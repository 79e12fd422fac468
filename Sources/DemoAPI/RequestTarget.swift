// The path and query of a request target, split once per request.
import Foundation

/// Origin-form (`/a?b`) or absolute-form (`http://host/a?b`, as some proxies send) targets.
struct RequestTarget: Sendable {
    let path: Substring
    let query: Substring?

    init(uri: String) {
        var rest = Substring(uri)
        if !rest.hasPrefix("/"), let scheme = rest.range(of: "://") {
            let afterAuthority = rest[scheme.upperBound...]
            rest = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        if let fragment = rest.firstIndex(of: "#") {
            rest = rest[..<fragment]
        }
        if let mark = rest.firstIndex(of: "?") {
            self.path = rest[..<mark]
            self.query = rest[rest.index(after: mark)...]
        } else {
            self.path = rest
            self.query = nil
        }
    }

    /// The first value of query parameter `name`, percent-decoded (`+` is a space); `""` for `?name`.
    func queryValue(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if Self.decode(parts[0]) == name {
                return parts.count > 1 ? Self.decode(parts[1]) : ""
            }
        }
        return nil
    }

    private static func decode(_ component: Substring) -> String {
        let spaced = component.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
