// CacheNotStoredReason: why a response is forwarded without being stored.

/// Why `CachePolicy` refused to store a response.
public enum CacheNotStoredReason: String, Sendable, Equatable {
    /// Not a heuristically cacheable status code.
    case status
    /// Only responses to GET are stored (HEAD is served from the GET entry).
    case method
    case noStore = "no-store"
    /// `private`: a shared cache must not store it.
    case `private`
    case setCookie = "set-cookie"
    case varyStar = "vary-star"
    /// A response to a request with a credential (`Authorization`, an API key, a user named by
    /// a trusted proxy) that the origin did not mark shareable.
    case authorization
    /// Nothing gives it freshness (or the freshness plus the stale windows is zero).
    case noFreshness = "no-freshness"
    /// `Content-Length` above `max_object_size`.
    case tooLarge = "too-large"

    /// Whether the reason lies in the response (given the URL's rule) rather than in the request
    /// that asked: false for `method` (a HEAD) and `authorization`.
    public var isAboutTheResponse: Bool {
        switch self {
        case .method, .authorization: false
        case .status, .noStore, .private, .setCookie, .varyStar, .noFreshness, .tooLarge: true
        }
    }
}
