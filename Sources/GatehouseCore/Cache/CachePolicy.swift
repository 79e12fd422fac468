// CachePolicy: RFC 9111 for a shared cache — what may be served from, and stored in, the cache.
import NIOHTTP1

/// The cache's rules, built once per config and shared by every event loop. Pure: no store,
/// no clock — every time-dependent question takes `now`. The request side lives here; storing,
/// freshness, conditionals and invalidation in the `CachePolicy+…` files.
///
/// A class, immutable: every request asks it several questions, and each call on the struct it
/// was copied it first (a retain and release of each of its rules, strings and arrays).
public final class CachePolicy: Sendable {
    /// Request fields with which frameworks (Rails, Laravel, Express's method-override, Google
    /// APIs) let a GET or POST stand for another method; none is part of the cache key.
    public static let methodOverrideFields = ["x-http-method-override", "x-http-method", "x-method-override"]

    public let rules: CacheRulePlan
    public let keys: CacheKeyBuilder
    /// Freshness when neither the response nor a rule gives one; 0 = don't store.
    public let defaultTTL: Int64
    public let staleWhileRevalidate: Int64
    public let staleIfError: Int64
    public let maxObjectSize: Int

    public init(
        rules: CacheRulePlan = CacheRulePlan(rules: []),
        version: String = "1",
        defaultTTL: Int64 = 0,
        staleWhileRevalidate: Int64 = 10,
        staleIfError: Int64 = 300,
        maxObjectSize: Int = 1024 * 1024
    ) {
        self.rules = rules
        self.keys = CacheKeyBuilder(version: version)
        self.defaultTTL = defaultTTL
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.maxObjectSize = maxObjectSize
    }

    public convenience init(config: CacheConfig) {
        self.init(
            rules: CacheRulePlan(config: config),
            version: config.version,
            defaultTTL: CacheRule.wholeSeconds(config.defaultTTL),
            staleWhileRevalidate: CacheRule.wholeSeconds(config.staleWhileRevalidate),
            staleIfError: CacheRule.wholeSeconds(config.staleIfError),
            maxObjectSize: config.maxObjectSize
        )
    }

    /// Whether the cache takes part in `head`, received on a listener speaking `scheme` from
    /// `user` (nil when anonymous). Only GET and HEAD are cacheable; a HEAD is answered from
    /// the GET entry. `forwarded`, from a trusted proxy in front, overrides scheme and host.
    /// `path` is the request's `NormalizedPath(requestTarget:)` when the caller made it already
    /// (the proxy makes it once per request, for rate limits too); nil: made here if a rule needs it.
    /// `hasBody`: the request carries content, which keeps the cache out of it.
    public func classify(
        _ head: HTTPRequestHead, scheme: String = "http", forwarded: ForwardedOrigin? = nil, user: String? = nil,
        path: NormalizedPath? = nil, hasBody: Bool = false
    ) -> CacheRequestDecision {
        guard head.method == .GET || head.method == .HEAD else {
            return .bypass(.method)
        }
        if hasBody {
            return .bypass(.requestBody)
        }
        let fields = CacheRequestFields(head.headers)
        let directives = fields.cacheControl
        if directives.noStore {
            return .bypass(.requestNoStore)
        }
        if fields.hasMethodOverride {
            return .bypass(.methodOverride)
        }
        let pragmaNoCache = !fields.hasCacheControl && fields.pragmaNoCache
        let target = CacheTarget(request: head, scheme: scheme, forwarded: forwarded)
        // The rule is chosen by the normalised path, the key made of the raw target.
        var rule: CacheRule?
        if !rules.isEmpty {
            let matched = path ?? NormalizedPath(target.path)
            guard rules.readingsAgree(on: matched) else { return .bypass(.ambiguousPath) }
            rule = rules.rule(for: matched)
        }
        return .cacheable(CacheableRequest(
            target: target,
            isHEAD: head.method == .HEAD,
            headers: head.headers,
            user: user,
            rule: rule,
            forcesRevalidation: directives.noCache || directives.maxAge == 0 || pragmaNoCache,
            maxAge: directives.maxAge,
            // An API key (or a trusted proxy's user header) is as much a credential as
            // `Authorization`: a response to it may be that user's own.
            hasAuthorization: fields.hasAuthorization || user != nil,
            // Range is defined for GET only (RFC 9110 §14.2): a HEAD's is ignored.
            hasRange: fields.hasRange && head.method == .GET
        ))
    }
}
