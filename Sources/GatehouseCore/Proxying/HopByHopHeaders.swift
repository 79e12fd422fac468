// HopByHopHeaders: the connection-specific fields a proxy must not forward (RFC 9110 §7.6.1).
import NIOHTTP1

/// Removal of hop-by-hop fields, including every field named in `Connection`.
public enum HopByHopHeaders {
    /// Fields that are always connection-specific, lower-cased.
    public static let alwaysRemoved: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate",
    ]

    /// End-to-end fields a `Connection` option cannot take away. RFC 9110 §7.6.1 forbids naming
    /// them, and `Connection: host` would otherwise send the origin an HTTP/1.1 request with no
    /// Host at all (caught by FuzzRequestHead).
    public static let neverConnectionOptions: Set<String> = ["host"]

    /// Removes every hop-by-hop field from `headers`.
    public static func remove(from headers: inout HTTPHeaders) {
        for name in connectionOptions(in: headers) {
            headers.remove(name: name)
        }
        if headers.contains(where: { isAlwaysRemoved($0.name) }) {
            for name in alwaysRemoved {
                headers.remove(name: name)
            }
        }
    }

    /// The lower-cased field names `Connection` lists that must go too (most messages have no
    /// `Connection` field, and then this allocates nothing).
    public static func connectionOptions(in headers: HTTPHeaders) -> [String] {
        guard headers.contains(where: { FieldName.equals($0.name, "connection") }) else { return [] }
        var named: [String] = []
        for value in headers[canonicalForm: "connection"] {
            let token = value.lowercased()
            if !alwaysRemoved.contains(token) && !neverConnectionOptions.contains(token) {
                named.append(token)
            }
        }
        return named
    }

    /// Whether a field named `name` must not be forwarded: always-removed, or one of the
    /// message's `connectionOptions` (as `connectionOptions(in:)` gives them).
    public static func isHopByHop(_ name: String, connectionOptions: [String]) -> Bool {
        isAlwaysRemoved(name)
            || (!connectionOptions.isEmpty && connectionOptions.contains { FieldName.equals(name, lowercased: $0) })
    }

    /// Whether `name` is one of `alwaysRemoved`, compared without lower-casing it: this runs for
    /// every field of every message the proxy forwards.
    public static func isAlwaysRemoved(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: FieldName.equals(name, "te")
        case 7: FieldName.equals(name, "trailer") || FieldName.equals(name, "upgrade")
        case 10: FieldName.equals(name, "connection") || FieldName.equals(name, "keep-alive")
        case 16: FieldName.equals(name, "proxy-connection")
        case 17: FieldName.equals(name, "transfer-encoding")
        case 18: FieldName.equals(name, "proxy-authenticate")
        case 19: FieldName.equals(name, "proxy-authorization")
        default: false
        }
    }
}
