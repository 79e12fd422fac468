// UserIdentityResolverTests: which credential wins, API-key hashing, and the trusted user header.

import Foundation
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct UserIdentityResolverTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    /// Defaults (X-API-Key, X-User-Id) plus HS256 JWTs with `JWTVerificationTests.secret`.
    static func resolver(jwt: Bool = true) async throws -> UserIdentityResolver {
        var config = IdentityConfig()
        config.jwt = jwt ? JWTConfig(secretEnv: "SECRET") : nil
        return try await UserIdentityResolver.make(config: config, environment: { $0 == "SECRET" ? JWTVerificationTests.secret : nil })
    }

    static func resolve(
        _ resolver: UserIdentityResolver, _ headers: [(String, String)], trusted: Bool = false
    ) throws -> UserIdentity? {
        try resolver.resolve(headers: HTTPHeaders(headers), peerIsTrusted: trusted, now: now).get()
    }

    static func refusal(_ resolver: UserIdentityResolver, _ headers: [(String, String)], trusted: Bool = false) -> GatehouseError? {
        if case .failure(let error) = resolver.resolve(headers: HTTPHeaders(headers), peerIsTrusted: trusted, now: now) {
            return error
        }
        return nil
    }

    @Test func noCredentialsIsAnonymous() async throws {
        let resolver = try await Self.resolver()
        #expect(try Self.resolve(resolver, []) == nil)
        #expect(try Self.resolve(resolver, [("Accept", "*/*")], trusted: true) == nil)
        #expect(try Self.resolve(resolver, [("X-API-Key", "  ")]) == nil)
    }

    @Test func apiKeyBecomesATruncatedSHA256() async throws {
        let resolver = try await Self.resolver()
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a3...
        let identity = try Self.resolve(resolver, [("X-API-Key", "abc")])
        #expect(identity == UserIdentity(id: "key:ba7816bf8f01cfea414140de5dae2223", source: .apiKey))
    }

    @Test func sameKeySameIdOtherKeyOtherIdAndTheKeyNeverShows() async throws {
        let resolver = try await Self.resolver()
        let key = "gh_live_4f9c2d7e1a"
        let first = try #require(try Self.resolve(resolver, [("X-API-Key", key)]))
        let again = try #require(try Self.resolve(resolver, [("x-api-key", " \(key) ")]))
        let other = try #require(try Self.resolve(resolver, [("X-API-Key", key + "x")]))
        #expect(first == again)
        #expect(first != other)
        #expect(!first.id.contains(key) && !first.description.contains(key))
        #expect(first.id.count == "key:".count + 32)
    }

    @Test func duplicateCredentialsAreRefused() async throws {
        let resolver = try await Self.resolver()
        #expect(Self.refusal(resolver, [("X-API-Key", "a"), ("X-API-Key", "b")])?.kind == .unauthenticated)
        #expect(Self.refusal(resolver, [("X-User-Id", "a"), ("X-User-Id", "b")], trusted: true)?.kind == .unauthenticated)
        let token = TestJWT.hs256(#"{"sub":"alice"}"#)
        let twoAuthorizations = [("Authorization", "Bearer \(token)"), ("Authorization", "Basic YTpi")]
        #expect(Self.refusal(resolver, twoAuthorizations)?.message == "more than one Authorization header")
    }

    @Test func userHeaderIsBelievedOnlyFromATrustedPeer() async throws {
        let resolver = try await Self.resolver()
        #expect(try Self.resolve(resolver, [("X-User-Id", "erin")], trusted: true) == UserIdentity(id: "erin", source: .header))
        #expect(try Self.resolve(resolver, [("X-User-Id", "erin")], trusted: false) == nil)
    }

    @Test func disabledHeadersAreIgnored() async throws {
        var config = IdentityConfig()
        config.apiKeyHeader = nil
        config.userHeader = nil
        let resolver = try await UserIdentityResolver.make(config: config, environment: { _ in nil })
        #expect(try Self.resolve(resolver, [("X-API-Key", "abc"), ("X-User-Id", "erin")], trusted: true) == nil)
    }

    @Test func jwtTakesPrecedenceOverAPIKeyAndUserHeader() async throws {
        let resolver = try await Self.resolver()
        let token = TestJWT.hs256(#"{"sub":"alice"}"#)
        let headers = [("X-User-Id", "erin"), ("X-API-Key", "abc"), ("Authorization", "bearer \(token)")]
        #expect(try Self.resolve(resolver, headers, trusted: true) == UserIdentity(id: "alice", source: .jwt))
        #expect(try Self.resolve(resolver, [("X-User-Id", "erin"), ("X-API-Key", "abc")], trusted: true)?.source == .apiKey)
    }

    @Test func invalidJWTIsRefusedEvenWithAValidAPIKey() async throws {
        let resolver = try await Self.resolver()
        let expired = TestJWT.hs256(#"{"sub":"alice","exp":1600000000}"#)
        let error = Self.refusal(resolver, [("Authorization", "Bearer \(expired)"), ("X-API-Key", "abc")])
        #expect(error?.kind == .unauthenticated)
        #expect(error?.message == "JWT has expired")
        #expect(Self.refusal(resolver, [("Authorization", "Bearer ")])?.message == "Bearer credential has no token")
    }

    @Test func bearerTokensPassThroughWhenJWTIsOff() async throws {
        let resolver = try await Self.resolver(jwt: false)
        #expect(try Self.resolve(resolver, [("Authorization", "Bearer opaque-upstream-token")]) == nil)
        #expect(try Self.resolve(resolver, [("Authorization", "Bearer x"), ("X-API-Key", "abc")])?.source == .apiKey)
    }

    @Test func otherAuthorizationSchemesAreTheUpstreamsBusiness() async throws {
        let resolver = try await Self.resolver()
        #expect(try Self.resolve(resolver, [("Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")]) == nil)
        #expect(try Self.resolve(resolver, [("Authorization", "Bearertoken")]) == nil)
    }
}
