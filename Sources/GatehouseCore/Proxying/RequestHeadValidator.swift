// RequestHeadValidator: refuses request heads a careful proxy must not forward.
import NIOHTTP1

/// Checks of a request head that go beyond what the HTTP parser enforces.
public enum RequestHeadValidator {
    /// Returns the error to answer with, or nil when the head may be forwarded.
    public static func problem(with head: HTTPRequestHead) -> GatehouseError? {
        guard head.version.major == 1, head.version.minor <= 1 else {
            return GatehouseError(.badRequest, "Only HTTP/1.0 and HTTP/1.1 are supported")
        }
        // Counted in one pass, without the array `headers["host"]` would allocate: this runs for
        // every request.
        var host: String?
        var hostCount = 0
        for (name, value) in head.headers where FieldName.equals(name, "host") {
            hostCount += 1
            host = value
        }
        if head.version.minor == 1 && hostCount == 0 {
            return GatehouseError(.badRequest, "Missing Host header")
        }
        if hostCount > 1 || host?.utf8.contains(UInt8(ascii: ",")) == true {
            return GatehouseError(.badRequest, "More than one Host header")
        }
        if let host, !HostFieldSyntax.isValid(host[...]) {
            return GatehouseError(.badRequest, "Invalid Host header")
        }
        if head.method == .CONNECT {
            return GatehouseError(.badRequest, "CONNECT is not supported by this proxy")
        }
        let uri = head.uri
        // The first byte decides the form; comparing bytes, not Strings (this runs for every request).
        let first = uri.utf8.first
        if first == UInt8(ascii: "*") && uri.utf8.count == 1 {
            return head.method == .OPTIONS ? nil : GatehouseError(.badRequest, "Asterisk-form is only valid for OPTIONS")
        }
        if first != UInt8(ascii: "/") {
            guard let absolute = RequestTarget.absoluteFormPath(of: uri) else {
                return GatehouseError(.badRequest, "Request target must be a path or an absolute http URL")
            }
            // The authority replaces Host upstream and names the cache entry: same rules as Host.
            guard HostFieldSyntax.isValid(absolute.authority[...]) else {
                return GatehouseError(.badRequest, "Invalid authority in the request target")
            }
        }
        if uri.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return GatehouseError(.badRequest, "Request target contains invalid characters")
        }
        return nil
    }
}
