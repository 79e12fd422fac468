// CacheTestSupportTests: fixtures shared by the cache tests — times, requests, entries, an inline event loop.

import Dispatch
import NIOCore
import NIOHTTP1
@testable import GatehouseCore

/// Builders that keep the cache tests' tables short.
enum CacheFixtures {
    /// 2023-11-14T22:13:20Z.
    static let t0 = CacheTime(secondsSince1970: 1_700_000_000)

    static let policy = CachePolicy(
        rules: CacheRulePlan(
            rules: [
                CacheRule(pathPrefix: "/api/users", ttl: 30, namespace: "users"),
                CacheRule(pathPrefix: "/api/me", namespace: "me", perUser: true),
                CacheRule(pathPrefix: "/static", ttl: 3600),
            ],
            invalidatedBy: [(namespace: "users", prefixes: ["/api/users", "/api/admin"]), (namespace: "me", prefixes: ["/api/users"])]
        ),
        defaultTTL: 0,
        staleWhileRevalidate: 10,
        staleIfError: 300,
        maxObjectSize: 1024 * 1024
    )

    static func head(_ method: HTTPMethod = .GET, _ uri: String = "/items", host: String = "example.com", _ headers: [(String, String)] = []) -> HTTPRequestHead {
        var fields = HTTPHeaders([("Host", host)])
        fields.add(contentsOf: headers)
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: fields)
    }

    /// A cacheable request, or a failure of the test that expected one.
    static func request(
        _ uri: String = "/items",
        host: String = "example.com",
        _ headers: [(String, String)] = [],
        method: HTTPMethod = .GET,
        user: String? = nil,
        policy: CachePolicy = policy
    ) -> CacheableRequest {
        guard case .cacheable(let request) = policy.classify(head(method, uri, host: host, headers), user: user) else {
            return CacheableRequest(target: CacheTarget(scheme: "http", host: "invalid", target: "/bypassed"))
        }
        return request
    }

    static func response(_ status: UInt = 200, _ headers: [(String, String)] = []) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: Int(status)), headers: HTTPHeaders(headers))
    }

    static func buffer(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }

    static func buffer(bytes: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: bytes)
    }

    /// An entry received at `at` with `headers`, fresh for `lifetime` seconds.
    static func entry(
        _ body: String = "hello",
        headers: [(String, String)] = [],
        lifetime: Int64 = 60,
        staleWhileRevalidate: Int64 = 10,
        staleIfError: Int64 = 300,
        alwaysRevalidate: Bool = false,
        varyNames: [String] = [],
        at time: CacheTime = t0,
        initialAge: Int64 = 0
    ) -> CacheEntry {
        CacheEntry(
            status: .ok,
            headers: HTTPHeaders(headers),
            body: buffer(body),
            responseTime: time,
            initialAge: initialAge,
            freshness: CacheFreshness(
                lifetime: lifetime,
                staleWhileRevalidate: staleWhileRevalidate,
                staleIfError: staleIfError,
                alwaysRevalidate: alwaysRevalidate
            ),
            varyNames: varyNames
        )
    }

    static let keys = CacheKeyBuilder(version: "1")

    /// The key of `path` on example.com, varying on `vary` with `requestHeaders`.
    static func key(
        _ path: String,
        host: String = "example.com",
        user: String? = nil,
        namespace: String? = nil,
        namespaceVersion: UInt64 = 0,
        vary: [String] = [],
        _ requestHeaders: [(String, String)] = []
    ) -> CacheKey {
        let primary = keys.primaryKey(
            for: CacheTarget(scheme: "http", host: host, target: path),
            namespace: namespace,
            namespaceVersion: namespaceVersion,
            user: user
        )
        return CacheKey(primary: primary, varyNames: vary, requestHeaders: HTTPHeaders(requestHeaders))
    }
}

/// An event loop that runs everything at once on the calling thread: enough for stores that
/// answer with completed futures, and for `get()` in async tests. Scheduling is unsupported.
final class InlineEventLoop: EventLoop, Sendable {
    struct Unsupported: Error {}

    var inEventLoop: Bool { true }

    func execute(_ task: @escaping @Sendable () -> Void) {
        task()
    }

    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        promise.fail(Unsupported())
        return Scheduled(promise: promise, cancellationTask: {})
    }

    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        queue.async { callback(nil) }
    }
}

/// A small deterministic random generator so churn tests replay identically.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
