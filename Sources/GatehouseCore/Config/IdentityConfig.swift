// IdentityConfig: the `identity:` section — how a request's user is recognised.

/// The `identity:` section of proxy.conf.
public struct IdentityConfig: Sendable, Equatable {
    /// Header carrying an API key; the user is a hash of it. nil disables API keys.
    public var apiKeyHeader: String? = "X-API-Key"
    /// Header naming the user, believed only from trusted proxies. nil disables it.
    public var userHeader: String? = "X-User-Id"
    /// JWT Bearer verification; nil when neither a secret nor a public key is configured.
    public var jwt: JWTConfig? = nil

    public init() {}
}

/// The `identity.jwt:` section.
public struct JWTConfig: Sendable, Equatable {
    /// Environment variable with the HMAC secret (HS256/384/512).
    public var secretEnv: String?
    /// PEM file with the RSA or EC public key (RS256, ES256).
    public var publicKeyFile: String?
    /// The claim that names the user.
    public var claim: String = "sub"
    public var leeway: Duration = .seconds(30)
    /// The `iss` a token must carry; nil accepts any issuer.
    public var issuer: String? = nil
    /// Audiences of which a token's `aud` must name at least one; empty accepts any audience.
    public var audiences: [String] = []

    public init(secretEnv: String? = nil, publicKeyFile: String? = nil) {
        self.secretEnv = secretEnv
        self.publicKeyFile = publicKeyFile
    }
}
