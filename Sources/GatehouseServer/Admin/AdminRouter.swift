// AdminRouter: the admin endpoints — /health, /metrics, /admin/reload, /admin/purge — and the admin token check.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Routes admin requests. `/health` and `/metrics` are open (they sit on the admin listener,
/// never the public one); `/admin/*` needs `Authorization: Bearer <token>` when the variable
/// named by `server.admin_token_env` is set.
struct AdminRouter: Sendable {
    let health: @Sendable () -> (status: Int, body: JSONValue)
    /// The text exposition, once every loop has published what it counted.
    let metrics: @Sendable (_ eventLoop: any EventLoop) -> EventLoopFuture<String>
    let reload: @Sendable () async -> AdminResponse
    let purge: @Sendable (_ body: [UInt8], _ eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse>
    let adminToken: @Sendable () -> String?

    /// Each endpoint and the methods it takes: another method on it is 405 with `Allow`, not
    /// 404, which would say the endpoint is not there (RFC 9110 §15.5.6).
    static let endpoints: [String: [HTTPMethod]] = [
        "/health": [.GET, .HEAD], "/metrics": [.GET, .HEAD], "/admin/reload": [.POST], "/admin/purge": [.POST],
    ]

    func route(_ request: AdminRequest, on eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        if let allowed = Self.endpoints[request.path], !allowed.contains(request.method) {
            // Behind the token like the endpoint itself: without it, /admin/* says nothing more.
            let refusal = request.path.hasPrefix("/admin/") ? authorizationProblem(request) : nil
            return eventLoop.makeSucceededFuture(refusal.map(AdminResponse.error) ?? .methodNotAllowed(request, allowed: allowed))
        }
        switch (request.method, request.path) {
        case (.GET, "/health"), (.HEAD, "/health"):
            let report = health()
            return eventLoop.makeSucceededFuture(.json(report.status, report.body))
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            return metrics(eventLoop).map { text in
                AdminResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: text)
            }
        case (_, let path) where path.hasPrefix("/admin/"):
            if let refusal = authorizationProblem(request) {
                return eventLoop.makeSucceededFuture(.error(refusal))
            }
            return routeAdmin(request, on: eventLoop)
        default:
            return eventLoop.makeSucceededFuture(.error(GatehouseError(.notFound, "No such admin endpoint: \(request.path)")))
        }
    }

    private func routeAdmin(_ request: AdminRequest, on eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        switch (request.method, request.path) {
        case (.POST, "/admin/reload"):
            let reload = self.reload
            return eventLoop.makeFutureWithTask { await reload() }
        case (.POST, "/admin/purge"):
            return purge(request.body, eventLoop)
        default:
            return eventLoop.makeSucceededFuture(.error(GatehouseError(.notFound, "No such admin endpoint: \(request.path)")))
        }
    }

    private func authorizationProblem(_ request: AdminRequest) -> GatehouseError? {
        guard let token = adminToken(), !token.isEmpty else { return nil }
        // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are `Bearer`.
        let presented = request.headers.first(name: "authorization").flatMap(BearerCredential.token(inField:)) ?? ""
        guard Self.constantTimeEquals(String(presented), token) else {
            return GatehouseError(.unauthenticated, "Admin endpoints need Authorization: Bearer <token>")
        }
        return nil
    }

    /// Compares without an early exit, so response timing does not reveal the token's prefix.
    /// The lengths are compared whole: folded into a byte, lengths 256 apart looked equal.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        var difference = left.count ^ right.count
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= Int(x ^ y)
        }
        return difference == 0
    }
}
