// RequestHeadChecks: every pure step ProxyHandler takes with a request head, with what must hold after each.
import Foundation
import FuzzSupport
import GatehouseCore
import NIOCore
import NIOHTTP1

/// The request-head logic of GatehouseCore in ProxyHandler's order — request id, validation,
/// body framing, client address, identity, rate-limit keys, cache classification, the upstream
/// head — run against one config built once. Each step checks what its callers rely on;
/// a broken expectation traps, which libFuzzer reports as a crash.
final class RequestHeadChecks: Sendable {
    static let shared = RequestHeadChecks()

    /// The HMAC secret the fuzzer's tokens are re-signed with (64 bytes: HS256, HS384 and HS512).
    static let jwtSecret = String(repeating: "fuzz-secret-", count: 6).prefix(64).description
    static let maxBodyBytes = 1024 * 1024
    /// Peers the head is checked from: a trusted proxy (IPv4 and IPv6) and an ordinary client.
    static let peers: [(address: IPAddress, trusted: Bool)] = [
        (IPAddress(parsing: "127.0.0.1"), true), (IPAddress(parsing: "fd00::7"), true), (IPAddress(parsing: "203.0.113.9"), false),
    ].compactMap { address, trusted in address.map { ($0, trusted) } }

    /// The config the checks run under: trusted proxies, every identity source, policies keyed
    /// every way, and cache rules.
    static let configText = """
        server:
          trusted_proxies: ["127.0.0.1/32", "fd00::/8"]
        upstream:
          servers: ["http://127.0.0.1:3000"]
        identity:
          api_key_header: X-API-Key
          user_header: X-User-Id
          jwt: {secret_env: GATEHOUSE_FUZZ_JWT_SECRET, claim: sub, leeway: 30s}
        rate_limits:
          policies:
            - {name: per-ip, key: ip, limit: 100, window: 1m, ipv6_prefix: 48}
            - {name: per-user, key: user, limit: 10, window: 1s, match: {path_prefix: /api/, methods: [GET, POST]}}
            - {name: per-tenant, key: "header:X-Tenant", limit: 5, window: 1h}
        cache:
          rules:
            - {path_prefix: /api/users, ttl: 30s, namespace: users, invalidated_by: [/api/users]}
            - {path_prefix: /me, ttl: 5s, per_user: true}
        """

    let clientIPs: ClientIPResolver
    let identity: UserIdentityResolver
    let rateLimits: RateLimitPlan
    let cache: CachePolicy
    /// A stored response that conditional requests are compared with.
    let entry: CacheEntry
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    private init() {
        let config: GatehouseConfig
        do {
            config = try ConfigLoader.parse(yaml: Self.configText, file: "fuzz.conf")
        } catch {
            fatalError("the fuzz config is invalid: \(error)")
        }
        clientIPs = ClientIPResolver(trustedProxies: config.server.trustedProxies)
        rateLimits = RateLimitPlan(config.rateLimits)
        cache = CachePolicy(config: config.cache)
        guard let identity = BlockingTask.run({
            try await UserIdentityResolver.make(config: config.identity) { name in
                name == "GATEHOUSE_FUZZ_JWT_SECRET" ? RequestHeadChecks.jwtSecret : nil
            }
        }) else {
            fatalError("cannot build the identity resolver")
        }
        self.identity = identity
        var headers = HTTPHeaders()
        headers.add(name: "ETag", value: "W/\"v1\"")
        headers.add(name: "Last-Modified", value: "Sun, 06 Nov 1994 08:49:37 GMT")
        headers.add(name: "Date", value: "Sun, 06 Nov 1994 08:49:37 GMT")
        headers.add(name: "Vary", value: "Accept-Encoding")
        entry = CacheEntry(
            status: .ok, headers: headers, body: ByteBuffer(string: "cached"),
            responseTime: CacheTime(secondsSince1970: 1_750_000_000), initialAge: 0,
            freshness: CacheFreshness(lifetime: 60, staleWhileRevalidate: 10, staleIfError: 300),
            varyNames: ["accept-encoding"]
        )
    }

    /// Runs one request; returns the refusal ProxyHandler would answer with, or nil when it
    /// would be forwarded.
    func check(head: HTTPRequestHead, body: [UInt8]) -> GatehouseError? {
        if let id = head.headers.first(name: RequestID.headerName), RequestID.isAcceptable(id) {
            require(id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "an accepted request id needs escaping")
        }
        if let problem = RequestHeadValidator.problem(with: head) {
            return refusal(problem)
        }
        let framing: RequestBodyFraming
        switch RequestBodyFraming.of(head, maxBodyBytes: Self.maxBodyBytes) {
        case .success(let value):
            framing = value
        case .failure(let problem):
            return refusal(problem)
        }
        checkFraming(framing, body: body)
        for peer in Self.peers {
            checkFromPeer(head: head, body: body, framing: framing, peer: peer.address, trusted: peer.trusted)
        }
        return nil
    }

    private func refusal(_ error: GatehouseError) -> GatehouseError {
        require((400..<500).contains(error.status), "a request-head refusal is a 4xx, not \(error.status)")
        require(error.jsonBody.utf8.first == UInt8(ascii: "{"), "the refusal body is not JSON")
        return error
    }

    /// The decoder delivered what the framing we decided says: the upstream is told the same length.
    private func checkFraming(_ framing: RequestBodyFraming, body: [UInt8]) {
        switch framing {
        case .none:
            require(body.isEmpty, "a request framed as bodiless carried \(body.count) bytes")
        case .contentLength(let length):
            require(length == body.count, "Content-Length \(length) but \(body.count) bytes arrived")
        case .chunked:
            break  // its length is known only at the end; ProxyHandler counts it as it streams
        }
    }

    private func checkFromPeer(head: HTTPRequestHead, body: [UInt8], framing: RequestBodyFraming, peer: IPAddress, trusted: Bool) {
        require(clientIPs.isTrusted(peer) == trusted, "peer \(peer) trusted: \(!trusted)")
        let clientIP = clientIPs.clientIP(peer: peer, headers: head.headers)
        if !trusted {
            require(clientIP == peer, "an untrusted peer's forwarding headers were believed")
        }
        _ = ForwardedHeader.forNodes(in: head.headers)

        var headers = head.headers
        var user: String?
        for candidate in TokenResigner.variants(of: head.headers, secret: Self.jwtSecret) {
            switch identity.resolve(headers: candidate, peerIsTrusted: trusted, now: now) {
            case .success(let identity):
                if let identity {
                    require(!identity.id.isEmpty, "an empty user id")
                    user = identity.id
                    headers = candidate
                }
            case .failure(let error):
                require(error.status == 401, "an identity refusal is a 401, not \(error.status)")
            }
        }

        let rateLimited = RateLimitRequest(head: head, clientIP: clientIP, user: user)
        let matchPath = rateLimited.path.value
        require(matchPath.hasPrefix("/") || matchPath == "*", "rate-limit path \(matchPath.debugDescription)")
        // Normalising only decodes, merges and removes: never longer than the path as sent.
        require(matchPath.utf8.count <= RequestTarget.path(of: head.uri).utf8.count, "normalised path grew: \(matchPath.debugDescription)")
        for check in rateLimits.checks(for: rateLimited) {
            require(check.key.hasPrefix(check.policyName + ":"), "rate-limit key outside its policy")
        }
        _ = clientIP.rateLimitGroup(ipv6Prefix: 64)

        var cacheHead = head
        cacheHead.headers = headers
        if case .cacheable(let request) = cache.classify(cacheHead, user: user) {
            let primary = cache.keys.primaryKey(for: request, namespaceVersion: 3)
            let key = CacheKey(primary: primary, varyNames: entry.varyNames, requestHeaders: request.headers)
            require(key.value.hasPrefix(primary.value), "the variant key does not extend the primary key")
            _ = cache.isNotModified(entry, for: request)
            let revalidation = cache.revalidationHead(for: cacheHead, entry: entry)
            require(revalidation.method == .GET, "a revalidation that is not a GET")
            _ = cache.state(of: entry, for: request, now: CacheTime(secondsSince1970: 1_750_000_030))
        }

        let context = ForwardingContext(
            peerAddress: peer.description, peerIsTrusted: trusted, requestID: "fuzz-request-id"
        )
        let upstream = RequestHeadRewriter.upstreamHead(for: head, framing: framing, context: context)
        checkUpstreamHead(upstream, of: head, framing: framing, context: context)
        // NIO's decoder (llhttp) knows a fixed list of methods and refuses the rest, as an origin
        // on llhttp would answer 400 itself; Gatehouse forwards extension methods (RFC 9110 §9.1).
        if case .RAW = head.method {} else {
            UpstreamRoundTrip.check(upstream, body: body, framing: framing)
        }
        UpstreamRoundTrip.checkDirectEncoding(of: head, framing: framing, context: context, matches: upstream)
    }

    /// What the upstream is told: no hop-by-hop fields, framing restated from ours alone, one
    /// Host, forwarding fields ending in what we know.
    private func checkUpstreamHead(_ upstream: HTTPRequestHead, of head: HTTPRequestHead, framing: RequestBodyFraming, context: ForwardingContext) {
        let headers = upstream.headers
        require(upstream.version == .http1_1, "upstream version \(upstream.version)")
        require(upstream.uri == "*" || upstream.uri.hasPrefix("/"), "upstream target \(upstream.uri.debugDescription)")
        for name in HopByHopHeaders.alwaysRemoved where name != "transfer-encoding" {
            require(!headers.contains(name: name), "hop-by-hop \(name) forwarded")
        }
        for token in head.headers[canonicalForm: "connection"] {
            let name = token.lowercased()
            guard !["content-length", "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "via", "x-request-id", "transfer-encoding"].contains(name) else { continue }
            require(!headers.contains(name: name), "field \(name) named in Connection forwarded")
        }
        let lengths = headers[canonicalForm: "content-length"]
        let encodings = headers[canonicalForm: "transfer-encoding"]
        switch framing {
        case .none:
            // A method that gives content a meaning states `Content-Length: 0` (RFC 9110 §8.6).
            let statesEmpty = [HTTPMethod.POST, .PUT, .PATCH].contains(head.method)
            require(lengths == (statesEmpty ? ["0"] : []) && encodings.isEmpty, "a bodiless request forwarded with framing")
        case .contentLength(let length):
            require(lengths == [Substring(String(length))] && encodings.isEmpty, "Content-Length not restated as \(length)")
        case .chunked:
            require(encodings == ["chunked"] && lengths.isEmpty, "chunked not restated")
        }
        let hosts = headers[canonicalForm: "host"]
        require(hosts.count <= 1, "several Hosts forwarded")
        if head.headers.contains(name: "host") || RequestTarget.absoluteFormPath(of: head.uri) != nil {
            require(hosts.count == 1, "the request had a Host; the upstream is sent none")
        }
        let forwardedFor = headers["x-forwarded-for"]
        require(forwardedFor.count == 1, "X-Forwarded-For is \(forwardedFor.count) lines")
        if !context.peerIsTrusted {
            require(forwardedFor == [context.peerAddress], "an untrusted X-Forwarded-For was kept")
        }
        require(forwardedFor.last.map { $0.hasSuffix(context.peerAddress) } == true, "X-Forwarded-For does not end with the peer")
        require(headers["via"].count == 1 && headers["via"][0].hasSuffix(RequestHeadRewriter.viaToken), "Via not appended")
        require(headers[RequestID.headerName] == [context.requestID], "X-Request-Id not ours")
    }
}
