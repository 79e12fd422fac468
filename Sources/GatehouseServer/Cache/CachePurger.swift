// CachePurger: `POST /admin/purge` — drop one URL, one namespace, or everything.
import Foundation
import GatehouseCore
import NIOCore

/// Carries out purge requests: `{"url": "http://host/path?q"}` drops every variant and user of
/// that URL, `{"namespace": "users"}` bumps the namespace's version, `{"all": true}` empties the
/// store. Answers how much was dropped.
struct CachePurger: Sendable {
    let state: ServerState

    func purge(body: [UInt8], on eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        guard let cache = state.runtime.cache else {
            return eventLoop.makeSucceededFuture(.error(GatehouseError(.badRequest, "The cache is off")))
        }
        // One of the three, alone: `{"url": …, "all": true}` purged the URL only and answered
        // 200, and an operator who meant everything was told it was done.
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any], object.count == 1 else {
            return eventLoop.makeSucceededFuture(.error(GatehouseError(
                .badRequest, #"Body must be {"url": ...}, {"namespace": ...} or {"all": true}"#
            )))
        }
        let counter = state.metrics.counter(GatehouseMetrics.Name.cacheInvalidations, ["reason": "purge"])
        if let url = object["url"] as? String {
            guard let target = CacheTarget(absoluteURL: url) else {
                return eventLoop.makeSucceededFuture(.error(GatehouseError(
                    .badRequest, "url must be absolute, e.g. http://api.example.com/api/users"
                )))
            }
            counter.increment()
            return Self.answer(cache.purge(target, on: eventLoop)) { purged in
                .json(200, .object([("purged", .string(url)), ("entries", .int(purged))]))
            }
        }
        if let namespace = object["namespace"] as? String {
            // A name no rule carries keys nothing: bumping it answered 200 and purged nothing,
            // so a typo (`user` for `users`) looked like a purge that worked.
            let known = state.runtime.config.cache.rules.compactMap(\.namespace)
            guard known.contains(namespace) else {
                let names = known.isEmpty ? "no rule has a namespace" : "namespaces: " + known.joined(separator: ", ")
                return eventLoop.makeSucceededFuture(.error(GatehouseError(
                    .notFound, "No cache rule has the namespace \"\(namespace)\" (\(names))"
                )))
            }
            counter.increment()
            return Self.answer(cache.bumpNamespace(namespace, on: eventLoop)) { version in
                .json(200, .object([("namespace", .string(namespace)), ("version", .int(Int(clamping: version)))]))
            }
        }
        if object["all"] as? Bool == true {
            counter.increment()
            return Self.answer(cache.purgeAll(on: eventLoop)) { .json(200, .object([("purged", "all")])) }
        }
        return eventLoop.makeSucceededFuture(.error(GatehouseError(
            .badRequest, #"Body must be {"url": ...}, {"namespace": ...} or {"all": true}"#
        )))
    }

    /// `done`'s answer once `purge` succeeded. A purge the store did not carry out (Redis down,
    /// slow, out of memory, read-only) is kept and retried; answered 200 (or 500 "Internal
    /// error"), an operator took it as done while other instances still served what it drops.
    private static func answer<Value>(
        _ purge: EventLoopFuture<Value>, _ done: @escaping @Sendable (Value) -> AdminResponse
    ) -> EventLoopFuture<AdminResponse> {
        purge.map(done).recover { error in
            .error(GatehouseError(
                .unavailable,
                "The cache store did not carry out the purge; it is retried until it does, and this instance hides what it drops meanwhile",
                source: .internalFailure, cause: error
            ))
        }
    }
}
