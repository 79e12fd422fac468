// RateLimitRequest: the few facts about a request that rate-limit policies look at.

import NIOHTTP1

/// What the policies need to know about a request: nothing about connections or bodies.
public struct RateLimitRequest: Sendable {
    /// Upper-case method name, e.g. `GET`.
    public var method: String
    /// The path of the request target, without query or fragment.
    public var path: String
    /// The resolved client address (see `ClientIPResolver`).
    public var clientIP: IPAddress
    /// The authenticated user, if any.
    public var user: String?
    public var headers: HTTPHeaders

    public init(method: String, path: String, clientIP: IPAddress, user: String?, headers: HTTPHeaders) {
        self.method = method
        self.path = path
        self.clientIP = clientIP
        self.user = user
        self.headers = headers
    }

    /// The facts of a parsed request head; an absolute-form target counts by its path.
    public init(head: HTTPRequestHead, clientIP: IPAddress, user: String?) {
        self.init(
            method: head.method.rawValue,
            path: RateLimitRequest.path(of: head.uri),
            clientIP: clientIP,
            user: user,
            headers: head.headers
        )
    }

    /// The path of a request target: `/a/b?q#f` → `/a/b`, `http://h/a?q` → `/a`.
    public static func path(of uri: String) -> String {
        let target = RequestTarget.originForm(of: uri)
        // Scanned in place: the generic `firstIndex(where:)` on the UTF-8 view walked it index by
        // index, for every rate-limited request.
        let scanned = target.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
        }
        guard let end = scanned else {
            return String(target.prefix { $0 != "?" && $0 != "#" })
        }
        return end == target.utf8.count ? target : String(decoding: target.utf8.prefix(end), as: UTF8.self)
    }
}
