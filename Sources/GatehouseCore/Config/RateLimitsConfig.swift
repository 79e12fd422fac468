// RateLimitsConfig: the `rate_limits:` section — store, failure mode and policies.

/// The `rate_limits:` section of proxy.conf.
public struct RateLimitsConfig: Sendable, Equatable {
    public var store: StoreKind = .memory
    public var onStoreError: StoreErrorMode = .allow
    /// Memory store: least recently seen keys are evicted past this many.
    public var maxTrackedKeys: Int = 1_000_000
    public var policies: [RateLimitPolicyConfig] = []

    public init() {}
}

/// Where rate-limit counters live.
public enum StoreKind: String, Sendable, Equatable {
    case memory
    case redis
}

/// What a rate-limit store failure means for the request.
public enum StoreErrorMode: String, Sendable, Equatable {
    /// Fail open, counting in a local memory limiter meanwhile.
    case allow
    /// Refuse with 503.
    case deny
}

/// One entry of `rate_limits.policies`.
public struct RateLimitPolicyConfig: Sendable, Equatable {
    /// Unique among policies; appears in headers, errors and metrics.
    public var name: String
    public var key: RateLimitKey
    public var limit: Int
    public var window: Duration
    /// IPv6 clients are grouped by this prefix length (ip keys only).
    public var ipv6Prefix: Int = 64
    /// nil = every request.
    public var match: RequestMatch?

    public init(name: String, key: RateLimitKey, limit: Int, window: Duration) {
        self.name = name
        self.key = key
        self.limit = limit
        self.window = window
    }
}

/// What a rate-limit policy counts by.
public enum RateLimitKey: Sendable, Equatable {
    case ip
    case user
    /// The value of this request header (name as written in the config).
    case header(String)
}

/// Which requests a policy applies to.
public struct RequestMatch: Sendable, Equatable {
    public var pathPrefix: String?
    /// Upper-case method names; nil = any method.
    public var methods: [String]?

    public init(pathPrefix: String? = nil, methods: [String]? = nil) {
        self.pathPrefix = pathPrefix
        self.methods = methods
    }
}
