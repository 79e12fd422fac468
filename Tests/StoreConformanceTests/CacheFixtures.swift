// CacheFixtures: keys and entries for the store suites (a copy of GatehouseCoreTests' builders this target needs).

import NIOCore
import NIOHTTP1
@testable import GatehouseCore

/// Builders that keep the cache store tests' tables short.
enum CacheFixtures {
    /// 2023-11-14T22:13:20Z.
    static let t0 = CacheTime(secondsSince1970: 1_700_000_000)

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
        varyNames: [String] = [],
        at time: CacheTime = t0
    ) -> CacheEntry {
        CacheEntry(
            status: .ok,
            headers: HTTPHeaders(headers),
            body: buffer(body),
            responseTime: time,
            initialAge: 0,
            freshness: CacheFreshness(lifetime: lifetime, staleWhileRevalidate: 10, staleIfError: 300, alwaysRevalidate: false),
            varyNames: varyNames
        )
    }

    static let keys = CacheKeyBuilder(version: "1")

    /// The key of `path` on `host`, varying on `vary` with `requestHeaders`.
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
