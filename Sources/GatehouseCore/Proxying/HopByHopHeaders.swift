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
        var named: [String] = []
        for value in headers[canonicalForm: "connection"] {
            let token = value.lowercased()
            if !alwaysRemoved.contains(token) && !neverConnectionOptions.contains(token) {
                named.append(token)
            }
        }
        for name in named {
            headers.remove(name: name)
        }
        if headers.contains(where: { alwaysRemoved.contains($0.name.lowercased()) }) {
            for name in alwaysRemoved {
                headers.remove(name: name)
            }
        }
    }
}
