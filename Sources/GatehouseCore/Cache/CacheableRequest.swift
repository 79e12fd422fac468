// CacheableRequest: a GET or HEAD the cache may answer, with what the policy read from it.
import NIOHTTP1

/// Everything the cache needs from a request once it is known to be cacheable: the target,
/// the headers (for Vary and conditionals), the user and the rule, and what the client's own
/// cache directives demand.
public struct CacheableRequest: Sendable {
    public var target: CacheTarget
    public var isHEAD: Bool
    public var headers: HTTPHeaders
    /// The identified user, if any.
    public var user: String?
    /// The first cache rule matching the path.
    public var rule: CacheRule?
    /// `no-cache`, `max-age=0`, or `Pragma: no-cache` without `Cache-Control`: a stored
    /// response may be used only after a successful revalidation.
    public var forcesRevalidation: Bool
    /// The client's `max-age=N`: stored responses older than N must be revalidated.
    public var maxAge: Int64?
    /// The request carries a credential: an `Authorization` field, or a user named by an API
    /// key or a trusted proxy's user header. Its response is stored only when the origin marks
    /// it shareable (`public`, `s-maxage`) or the rule keys entries by user (RFC 9111 §3.5,
    /// applied to every credential Gatehouse knows of, not `Authorization` alone).
    public var hasAuthorization: Bool
    /// A GET with `Range`: a fresh entry answers it with the part asked for; anything else goes
    /// upstream as it came and stores nothing (its answer is a part, not the representation).
    public var hasRange: Bool

    public init(
        target: CacheTarget,
        isHEAD: Bool = false,
        headers: HTTPHeaders = HTTPHeaders(),
        user: String? = nil,
        rule: CacheRule? = nil,
        forcesRevalidation: Bool = false,
        maxAge: Int64? = nil,
        hasAuthorization: Bool = false,
        hasRange: Bool = false
    ) {
        self.target = target
        self.isHEAD = isHEAD
        self.headers = headers
        self.user = user
        self.rule = rule
        self.forcesRevalidation = forcesRevalidation
        self.maxAge = maxAge
        self.hasAuthorization = hasAuthorization
        self.hasRange = hasRange
    }

    /// The user that goes into the key: only under a `per_user` rule, and only when known.
    public var keyUser: String? {
        rule?.perUser == true ? user : nil
    }

    /// Responses are kept apart per user, so a response to an `Authorization` request may be
    /// stored without the origin declaring it shareable.
    public var isKeyedByUser: Bool {
        keyUser != nil
    }
}
