// InFlightRequest: the per-request facts and progress of one proxied exchange.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Per-request data (pingora's session context): lives from the head to the end of the response.
final class InFlightRequest {
    /// The config this request runs under, from its head to its end (a reload doesn't change it).
    let runtime: ProxyRuntime
    let head: HTTPRequestHead
    /// The request's id: the client's, or generated bits (see `RequestIDValue`).
    let id: RequestIDValue
    /// The id as text, made on first use: a hit writes `id` into its head and never needs it.
    lazy var requestID: String = id.text
    /// The path every `path_prefix` matches (rate limits, cache rules, `invalidated_by`), made
    /// on first use: once per request at most, and only when rate limits are on or the cache has
    /// rules. The head itself is forwarded and keyed as the client sent it.
    lazy var matchPath = NormalizedPath(requestTarget: head.uri)
    let startedAt: NIODeadline
    /// Wall-clock start, for the access log.
    let startedAtWallClock: Double
    /// Who sent the request, once its head passed validation: what the upstream head's
    /// forwarding fields are made from.
    var peer: (address: String, isTrusted: Bool)?
    /// What the upstream head is made from; nil until the head passed validation. Made when
    /// asked (only for a request that goes upstream), so that a hit never makes the id's text.
    var forwarding: ForwardingContext? {
        peer.map {
            ForwardingContext(
                peerAddress: $0.address, peerIsTrusted: $0.isTrusted, requestID: requestID,
                hostWhenNone: runtime.upstreamAuthority
            )
        }
    }
    /// The scheme and host a trusted proxy in front says the client used: they reach the origin
    /// and may shape the response, so they name the cache's URLs too (for reads and for the
    /// invalidation of writes alike). Nil from an untrusted peer.
    var forwardedOrigin: ForwardedOrigin? {
        peer?.isTrusted == true ? ForwardedOrigin(trustedHeaders: head.headers) : nil
    }
    /// `identity.user_header` when the peer may not set it (dropped from the upstream head).
    var droppedUserHeader: String?
    private var builtUpstreamHead: HTTPRequestHead?
    private var forwardedHeaders: HTTPHeaders?

    /// The head sent upstream, built on first use: a cache hit never needs it, and a request
    /// forwarded unchanged is written without it (`writeUpstreamHead`).
    var upstreamHead: HTTPRequestHead? {
        get {
            if builtUpstreamHead == nil, let forwarding {
                let head = RequestHeadRewriter.upstreamHead(
                    for: head, framing: framing, context: forwarding, droppedField: droppedUserHeader
                )
                builtUpstreamHead = head
                forwardedHeaders = head.headers
            }
            return builtUpstreamHead
        }
        set {
            builtUpstreamHead = newValue
        }
    }
    /// The request's fields as the origin gets them (forged or untrusted ones dropped, ours
    /// added), before the cache adjusts conditionals: what a response's `Vary` speaks of, so
    /// what variants are matched on.
    var varyHeaders: HTTPHeaders {
        _ = upstreamHead
        return forwardedHeaders ?? head.headers
    }

    /// Writes the head sent upstream to `upstream`: the built one when the cache adjusted it,
    /// else straight from the client's head. Only for a request that passed validation
    /// (`forwarding` set); nothing is written otherwise.
    func writeUpstreamHead(to upstream: UpstreamConnection, headBuffer: HeadBuffer) {
        if let builtUpstreamHead {
            upstream.writeHead(builtUpstreamHead)
        } else if let forwarding {
            upstream.writeHead(
                rewriting: head, framing: framing, context: forwarding, droppedField: droppedUserHeader, headBuffer: headBuffer
            )
        }
    }

    var framing: RequestBodyFraming = .none
    /// Whether the client connection stays open after this response.
    var keepAlive: Bool
    /// Body parts read while no upstream connection was ready yet (at most one read's worth:
    /// reads are paused meanwhile).
    var pendingBody: [ByteBuffer] = []
    var bodyBytesReceived = 0
    /// Refused (413) for the length its head declared: the answer closes the connection, but
    /// only once the body, read and dropped however long, is in (or `idle_timeout` passed).
    var readsBodyBeforeClose = false
    var requestEnded = false
    var responseStarted = false
    var upstreamAttempts = 0
    /// The upstream servers (indices into the runtime's `UpstreamServerSet`) this request went
    /// to, or whose connect failed on its way, while its fresh connections closed unanswered:
    /// it moves on to each other server at most once.
    var upstreamServersTried: Set<Int> = []
    /// The status sent to the client (0 until a response head is written).
    var status = 0
    /// Response body bytes written to the client.
    var responseBytes = 0
    /// The upstream server that answered, for the access log.
    var upstreamServer: String?
    var upstreamStartedAt: NIODeadline?
    /// Metrics and the access log are written exactly once per request.
    var recorded = false
    /// The client as identified (the peer, or what trusted proxies say).
    var clientIP: IPAddress?
    /// The user, when the request carries a verified credential.
    var user: String?
    /// RateLimit / RateLimit-Policy fields for the response, when a policy matched.
    var rateLimitHeaders: RateLimitHeaders?
    /// `allowed` or `limited` for the access log; nil when no policy matched.
    var rateLimitDecision: String?
    /// The 401 owed for a presented credential that does not hold, answered once the rate-limit
    /// policies that need no user have counted the request.
    var credentialRefusal: GatehouseError?
    /// The cache's view of a cacheable request; nil when the cache is off or bypassed.
    var cache: CacheExchange?
    /// What the cache did when there is no exchange (bypass); see `effectiveCacheStatus`.
    var cacheStatus: CacheStatus?

    /// What the cache did for this request, for Cache-Status, metrics and the access log.
    var effectiveCacheStatus: CacheStatus {
        cache?.status ?? cacheStatus ?? .forward(.bypass)
    }

    /// The cache stage looked at this request (or bypassed it): false for one refused before it
    /// (400, 401, 429, a store-down deny), which `effectiveCacheStatus` still calls a bypass.
    var reachedCacheStage: Bool {
        cache != nil || cacheStatus != nil
    }

    init(runtime: ProxyRuntime, head: HTTPRequestHead, id: RequestIDValue, keepAlive: Bool, wallClock: Double) {
        self.runtime = runtime
        self.head = head
        self.id = id
        self.keepAlive = keepAlive
        self.startedAt = .now()
        self.startedAtWallClock = wallClock
    }

    var isHEAD: Bool { head.method == .HEAD }

    /// Whether the client waits for `100 Continue` before its body (HTTP/1.1 and later only),
    /// until one was relayed.
    lazy var expectsContinue: Bool = (head.version.major > 1 || head.version.minor >= 1)
        && head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }

    /// A request may be sent again on a fresh connection when its connection closed unanswered
    /// (a reused one the server had closed, or a server not serving): nothing of the response
    /// arrived, no body bytes were consumed from the client, and its method is idempotent. A
    /// POST may have been carried out before the connection died, so it is never repeated
    /// unasked (RFC 9112 §9.3.1; nginx's `proxy_next_upstream` without `non_idempotent` does
    /// the same). At most once per server and once more, as nginx tries each server once.
    var isRetryable: Bool {
        framing == .none && !responseStarted && upstreamAttempts <= runtime.pools.servers.count
            && Self.isIdempotent(head.method)
    }

    /// RFC 9110 §9.2.2.
    private static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE: true
        default: false
        }
    }
}
