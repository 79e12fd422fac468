// What an answer says about its own cacheability.

enum ResponseCaching: Sendable {
    /// `Cache-Control: public, max-age=N` and an `ETag` (computed from the body when `nil`);
    /// conditional requests are answered 304. Only for 2xx answers to GET and HEAD.
    case cacheable(etag: String?)
    /// `Cache-Control: no-store`.
    case noStore
    /// No `Cache-Control`: the cache in front decides (used for GET errors such as 404).
    case unspecified
}
