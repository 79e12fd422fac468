// A request head with what every stage asks of it worked out once.
import NIOHTTP1

struct IncomingRequest: Sendable {
    let head: HTTPRequestHead
    let target: RequestTarget
    /// `nil` when no resource has this path (404).
    let route: Route?
    let keepAlive: Bool

    init(head: HTTPRequestHead) {
        self.head = head
        self.target = RequestTarget(uri: head.uri)
        self.route = Router.route(path: self.target.path)
        self.keepAlive = head.isKeepAlive
    }

    var method: HTTPMethod { self.head.method }

    /// GET and HEAD: the methods whose 2xx answers are cacheable.
    var isRead: Bool { self.head.method == .GET || self.head.method == .HEAD }

    /// Whether the client waits for `100 Continue` before sending its body.
    var expectsContinue: Bool {
        self.head.version.major == 1 && self.head.version.minor >= 1
            && self.head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }

    /// Whether a body is framed by chunked transfer coding (rather than a Content-Length).
    var isChunked: Bool {
        self.head.headers["transfer-encoding"].contains { $0.lowercased().contains("chunked") }
    }
}
