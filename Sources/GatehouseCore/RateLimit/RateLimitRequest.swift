// RateLimitRequest: the few facts about a request that rate-limit policies look at.

import NIOHTTP1

/// What the policies need to know about a request: nothing about connections or bodies.
public struct RateLimitRequest: Sendable {
    /// Upper-case method name, e.g. `GET`.
    public var method: String
    /// The path of the request target, without query or fragment, normalised as every
    /// `path_prefix` sees it (`/%61pi//users` is `/api/users`: see `NormalizedPath`).
    public var path: NormalizedPath
    /// The resolved client address (see `ClientIPResolver`).
    public var clientIP: IPAddress
    /// The authenticated user, if any.
    public var user: String?
    public var headers: HTTPHeaders

    public init(method: String, path: NormalizedPath, clientIP: IPAddress, user: String?, headers: HTTPHeaders) {
        self.method = method
        self.path = path
        self.clientIP = clientIP
        self.user = user
        self.headers = headers
    }

    /// The facts of a parsed request head, with its path normalised once by the caller (the
    /// proxy shares it with the cache's rules); an absolute-form target counts by its path.
    public init(head: HTTPRequestHead, path: NormalizedPath, clientIP: IPAddress, user: String?) {
        self.init(method: head.method.rawValue, path: path, clientIP: clientIP, user: user, headers: head.headers)
    }

    /// The facts of a parsed request head, its path normalised here.
    public init(head: HTTPRequestHead, clientIP: IPAddress, user: String?) {
        self.init(head: head, path: NormalizedPath(requestTarget: head.uri), clientIP: clientIP, user: user)
    }
}
