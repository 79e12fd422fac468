// CacheFixtures: times, requests, responses, entries and keys that keep the cache tests' tables short.

import GatehouseCore
import NIOCore
import NIOHTTP1

/// Builders that keep the cache tests' tables short.
public enum CacheFixtures {
    /// 2023-11-14T22:13:20Z.
    public static let t0 = CacheTime(secondsSince1970: 1_700_000_000)

    public static let policy = CachePolicy(
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

    public static func head(_ method: HTTPMethod = .GET, _ uri: String = "/items", host: String = "example.com", _ headers: [(String, String)] = []) -> HTTPRequestHead {
        var fields = HTTPHeaders([("Host", host)])
        fields.add(contentsOf: headers)
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: fields)
    }

    /// A cacheable request, or a failure of the test that expected one.
    public static func request(
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

    public static func response(_ status: UInt = 200, _ headers: [(String, String)] = []) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: Int(status)), headers: HTTPHeaders(headers))
    }

    public static func buffer(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }

    public static func buffer(bytes: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: bytes)
    }

    /// An entry received at `at` with `headers`, fresh for `lifetime` seconds.
    public static func entry(
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

    public static let keys = CacheKeyBuilder(version: "1")

    /// The key of `path` on example.com, varying on `vary` with `requestHeaders`.
    public static func key(
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
