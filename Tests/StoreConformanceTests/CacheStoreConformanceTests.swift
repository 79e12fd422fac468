// CacheStoreConformanceTests: the CacheStore contract, written once and run against every store.

import GatehouseTesting
import GatehouseRedis
import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

/// A named way to run a test against an empty store: memory, or Redis on a redis-server of its
/// own that is stopped afterwards.
struct CacheStoreFactory: Sendable, CustomTestStringConvertible {
    var name: String
    var run: @Sendable (_ body: (any CacheStore) async throws -> Void) async throws -> Void

    var testDescription: String { name }

    static let memory = CacheStoreFactory(name: "memory") { body in
        try await body(MemoryCacheStore(budget: 1 << 20, maxObjectSize: 1 << 16))
    }

    static let redis = CacheStoreFactory(name: "redis") { body in
        try await StoreRedis.withClients { clients, _ in
            try await body(RedisCacheStore(client: clients[0], keyPrefix: "gh:", maxObjectSize: 1 << 16))
        }
    }

    static let all: [CacheStoreFactory] = [memory, redis]
}

/// Every check goes through the future-returning seam, as the data path will for a remote store.
@Suite struct CacheStoreConformanceTests {
    let loop = StoreRedis.loop
    let t0 = CacheFixtures.t0

    @Test(arguments: CacheStoreFactory.all)
    func storesAndFinds(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let key = CacheFixtures.key("/a")
            #expect(try await store.lookup(key.primary, now: t0, on: loop).get() == .miss)
            #expect(try await store.find(key.primary, requestHeaders: [:], now: t0, on: loop).get() == .uriMiss)
            #expect(try await store.lookup(key, now: t0, on: loop).get() == nil)

            let entry = CacheFixtures.entry("first")
            #expect(try await store.store(entry, for: key, retention: 60, now: t0, on: loop).get())
            #expect(try await store.lookup(key.primary, now: t0, on: loop).get() == .entry(entry))
            #expect(try await store.lookup(key, now: t0, on: loop).get() == entry)
            #expect(try await store.find(key.primary, requestHeaders: [:], now: t0, on: loop).get() == .hit(entry, key))
            #expect(try await store.find(CacheFixtures.key("/b").primary, requestHeaders: [:], now: t0, on: loop).get() == .uriMiss)
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func overwrites(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let key = CacheFixtures.key("/a")
            _ = try await store.store(CacheFixtures.entry("old"), for: key, retention: 60, now: t0, on: loop).get()
            _ = try await store.store(CacheFixtures.entry("new"), for: key, retention: 60, now: t0, on: loop).get()
            #expect(try await store.lookup(key, now: t0, on: loop).get()?.body == CacheFixtures.buffer("new"))
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func keepsVariantsApart(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let vary = ["accept-encoding"]
            let gzip = CacheFixtures.key("/a", vary: vary, [("Accept-Encoding", "gzip")])
            let br = CacheFixtures.key("/a", vary: vary, [("Accept-Encoding", "br")])
            _ = try await store.store(CacheFixtures.entry("gz", varyNames: vary), for: gzip, retention: 60, now: t0, on: loop).get()
            _ = try await store.store(CacheFixtures.entry("br", varyNames: vary), for: br, retention: 60, now: t0, on: loop).get()

            #expect(try await store.lookup(gzip.primary, now: t0, on: loop).get() == .varies(on: vary))
            let found = try await store.find(gzip.primary, requestHeaders: ["Accept-Encoding": "gzip"], now: t0, on: loop).get()
            #expect(found.entry?.body == CacheFixtures.buffer("gz"))
            let other = try await store.find(gzip.primary, requestHeaders: ["Accept-Encoding": "deflate"], now: t0, on: loop).get()
            #expect(other == .varyMiss(CacheFixtures.key("/a", vary: vary, [("Accept-Encoding", "deflate")])))

            // A response varying on something else replaces the whole set.
            let byLanguage = CacheFixtures.key("/a", vary: ["accept-language"], [("Accept-Language", "en")])
            _ = try await store.store(CacheFixtures.entry("en", varyNames: ["accept-language"]), for: byLanguage, retention: 60, now: t0, on: loop).get()
            #expect(try await store.lookup(gzip, now: t0, on: loop).get() == nil)
            #expect(try await store.lookup(br, now: t0, on: loop).get() == nil)
            #expect(try await store.lookup(gzip.primary, now: t0, on: loop).get() == .varies(on: ["accept-language"]))

            // And a response without Vary replaces it again.
            let plain = CacheFixtures.key("/a")
            _ = try await store.store(CacheFixtures.entry("plain"), for: plain, retention: 60, now: t0, on: loop).get()
            #expect(try await store.lookup(byLanguage, now: t0, on: loop).get() == nil)
            #expect(try await store.find(plain.primary, requestHeaders: ["Accept-Language": "en"], now: t0, on: loop).get().entry?.body == CacheFixtures.buffer("plain"))
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func aURLThatStartsVaryingIsFoundByVariant(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            // The memory store finds an entry without Vary under the primary key itself, before
            // asking the primary's slot: once the URL varies, that entry must be gone.
            let plain = CacheFixtures.key("/a")
            _ = try await store.store(CacheFixtures.entry("plain"), for: plain, retention: 60, now: t0, on: loop).get()
            #expect(try await store.find(plain.primary, requestHeaders: [:], now: t0, on: loop).get() == .hit(CacheFixtures.entry("plain"), plain))

            let vary = ["accept"]
            let json = CacheFixtures.key("/a", vary: vary, [("Accept", "application/json")])
            _ = try await store.store(CacheFixtures.entry("json", varyNames: vary), for: json, retention: 60, now: t0, on: loop).get()
            #expect(try await store.lookup(plain, now: t0, on: loop).get() == nil)
            #expect(try await store.lookup(plain.primary, now: t0, on: loop).get() == .varies(on: vary))
            let found = try await store.find(plain.primary, requestHeaders: ["Accept": "application/json"], now: t0, on: loop).get()
            #expect(found.entry?.body == CacheFixtures.buffer("json"))
            let other = try await store.find(plain.primary, requestHeaders: ["Accept": "text/html"], now: t0, on: loop).get()
            #expect(other == .varyMiss(CacheFixtures.key("/a", vary: vary, [("Accept", "text/html")])))
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func refusesAKeyThatDisagreesWithTheEntrysVary(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let stored = try await store.store(CacheFixtures.entry(varyNames: ["accept"]), for: CacheFixtures.key("/a"), retention: 60, now: t0, on: loop).get()
            #expect(!stored)
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func removesOneVariant(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let vary = ["accept"]
            let html = CacheFixtures.key("/a", vary: vary, [("Accept", "text/html")])
            let json = CacheFixtures.key("/a", vary: vary, [("Accept", "application/json")])
            _ = try await store.store(CacheFixtures.entry(varyNames: vary), for: html, retention: 60, now: t0, on: loop).get()
            _ = try await store.store(CacheFixtures.entry(varyNames: vary), for: json, retention: 60, now: t0, on: loop).get()
            try await store.remove(html, on: loop).get()
            #expect(try await store.lookup(html, now: t0, on: loop).get() == nil)
            #expect(try await store.lookup(json, now: t0, on: loop).get() != nil)
            try await store.remove(json, on: loop).get()
            #expect(try await store.lookup(json.primary, now: t0, on: loop).get() == .miss)
            try await store.remove(json, on: loop).get()
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func purgesAURLWithAllUsersAndVariants(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let vary = ["accept"]
            let keys = [
                CacheFixtures.key("/a", vary: vary, [("Accept", "x")]),
                CacheFixtures.key("/a", vary: vary, [("Accept", "y")]),
                CacheFixtures.key("/a", user: "alice"),
                CacheFixtures.key("/a", user: "bob", vary: vary, [("Accept", "x")]),
            ]
            for key in keys {
                _ = try await store.store(CacheFixtures.entry(varyNames: key.varyNames), for: key, retention: 60, now: t0, on: loop).get()
            }
            let survivors = [CacheFixtures.key("/a?x"), CacheFixtures.key("/a", host: "other.example"), CacheFixtures.key("/ab")]
            for key in survivors {
                _ = try await store.store(CacheFixtures.entry(), for: key, retention: 60, now: t0, on: loop).get()
            }
            #expect(try await store.purge(keys[0].url, on: loop).get() == 4)
            for key in keys {
                #expect(try await store.lookup(key, now: t0, on: loop).get() == nil)
                #expect(try await store.lookup(key.primary, now: t0, on: loop).get() == .miss)
            }
            for key in survivors {
                #expect(try await store.lookup(key, now: t0, on: loop).get() != nil)
            }
            #expect(try await store.purge(keys[0].url, on: loop).get() == 0)
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func bumpingANamespaceMakesItsEntriesUnreachable(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let version = try await store.namespaceVersion("users", on: loop).get()
            let old = CacheFixtures.key("/api/users", namespace: "users", namespaceVersion: version)
            _ = try await store.store(CacheFixtures.entry(), for: old, retention: 60, now: t0, on: loop).get()

            let bumped = try await store.bumpNamespace("users", on: loop).get()
            #expect(bumped == version + 1)
            #expect(try await store.namespaceVersion("users", on: loop).get() == bumped)
            #expect(try await store.namespaceVersion("teams", on: loop).get() == 0)
            let current = CacheFixtures.key("/api/users", namespace: "users", namespaceVersion: bumped)
            #expect(try await store.find(current.primary, requestHeaders: [:], now: t0, on: loop).get() == .uriMiss)
            #expect(try await store.bumpNamespace("users", on: loop).get() == bumped + 1)
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func purgeAllDropsEverythingButVersions(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let bumped = try await store.bumpNamespace("users", on: loop).get()
            let keys = [CacheFixtures.key("/a"), CacheFixtures.key("/b", user: "u"), CacheFixtures.key("/c", namespace: "users", namespaceVersion: bumped)]
            for key in keys {
                _ = try await store.store(CacheFixtures.entry(), for: key, retention: 60, now: t0, on: loop).get()
            }
            try await store.purgeAll(on: loop).get()
            for key in keys {
                #expect(try await store.lookup(key.primary, now: t0, on: loop).get() == .miss)
            }
            #expect(try await store.namespaceVersion("users", on: loop).get() == bumped)
            _ = try await store.store(CacheFixtures.entry(), for: keys[0], retention: 60, now: t0, on: loop).get()
            #expect(try await store.lookup(keys[0], now: t0, on: loop).get() != nil)
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func entriesExpireAfterTheirRetention(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let plain = CacheFixtures.key("/a")
            let varied = CacheFixtures.key("/b", vary: ["accept"], [("Accept", "x")])
            _ = try await store.store(CacheFixtures.entry(), for: plain, retention: 60, now: t0, on: loop).get()
            _ = try await store.store(CacheFixtures.entry(varyNames: ["accept"]), for: varied, retention: 30, now: t0 + 10, on: loop).get()
            #expect(try await store.lookup(plain, now: t0 + 59, on: loop).get() != nil)
            #expect(try await store.lookup(varied, now: t0 + 39, on: loop).get() != nil)
            #expect(try await store.lookup(varied, now: t0 + 40, on: loop).get() == nil)
            #expect(try await store.find(varied.primary, requestHeaders: ["Accept": "x"], now: t0 + 40, on: loop).get().entry == nil)
            #expect(try await store.lookup(plain.primary, now: t0 + 60, on: loop).get() == .miss)
            #expect(try await store.lookup(plain, now: t0 + 60, on: loop).get() == nil)
            #expect(!(try await store.store(CacheFixtures.entry(), for: plain, retention: 0, now: t0, on: loop).get()))
        }
    }

    @Test(arguments: CacheStoreFactory.all)
    func storesBinaryBodiesAndHeadersIntact(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let key = CacheFixtures.key("/bin")
            // A value as a parser holds `välue ✓` sent in UTF-8, then the byte E9 (`FieldValueBytes`).
            let value = "välue ✓".utf8.map { String(UnicodeScalar($0)) }.joined() + "\u{E9}"
            var entry = CacheFixtures.entry(headers: [("Content-Type", "application/octet-stream"), ("X-Ünïcode", value), ("X-Empty", "")])
            entry.body = CacheFixtures.buffer(bytes: (0...255).map { UInt8($0) } + [0, 0, 13, 10])
            entry.status = HTTPResponseStatus(statusCode: 203, reasonPhrase: "Non-Authoritative")
            _ = try await store.store(entry, for: key, retention: 60, now: t0, on: loop).get()
            #expect(try await store.lookup(key, now: t0, on: loop).get() == entry)
        }
    }

    /// The largest body both stores take (64 KiB): the memory store keeps it in a memory file, the
    /// Redis store in Redis; either way it comes back byte for byte, found by either lookup.
    @Test(arguments: CacheStoreFactory.all)
    func storesTheLargestBodyIntact(_ factory: CacheStoreFactory) async throws {
        try await factory.run { store async throws in
            let key = CacheFixtures.key("/large")
            var entry = CacheFixtures.entry()
            entry.body = CacheFixtures.buffer(bytes: patternedBytes(1 << 16))
            #expect(try await store.store(entry, for: key, retention: 60, now: t0, on: loop).get())
            let found = try #require(try await store.lookup(key, now: t0, on: loop).get())
            #expect(found.storedBody.count == 1 << 16)
            #expect(found == entry)
            #expect(try await store.find(key.primary, requestHeaders: [:], now: t0, on: loop).get() == .hit(entry, key))
        }
    }
}
