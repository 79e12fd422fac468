// CacheBypassReason: why a request neither uses nor fills the cache.

/// Why the cache stays out of a request; maps to `fwd=method` or `fwd=bypass` in Cache-Status.
public enum CacheBypassReason: String, Sendable, Equatable {
    /// Not GET or HEAD.
    case method
    /// The request says `Cache-Control: no-store`.
    case requestNoStore = "request-no-store"
    /// A GET or HEAD carrying `X-HTTP-Method-Override` (or a sibling): the origin may act on it
    /// as another method, so its answer is not the GET representation of the URL, and a stored
    /// GET must not stand in for a write the client asked for.
    case methodOverride = "method-override"
    /// The path holds a `%2F` whose two readings (separator, or data) fall under different
    /// cache rules: which one the origin serves is unknown.
    case ambiguousPath = "ambiguous-path"
    /// A GET or HEAD with content: RFC 9110 §9.3.1 gives it no defined meaning, yet origins
    /// answer by it (Elasticsearch's `GET _search`), and the key does not hold it: one body's
    /// answer must neither be served to another nor stored for the bare URL.
    case requestBody = "request-body"
}
