// CacheRequestFields: the request fields that decide whether the cache takes part, read in one pass.
import NIOHTTP1

/// What `CachePolicy.classify` asks of a request's fields. Asking `HTTPHeaders` field by field
/// walked every field once per question (eight times with `Cache-Control`); one pass answers all.
struct CacheRequestFields {
    private(set) var cacheControl = CacheControl()
    private(set) var hasCacheControl = false
    private(set) var hasRange = false
    /// One of `CachePolicy.methodOverrideFields`.
    private(set) var hasMethodOverride = false
    /// A `Pragma` field with a `no-cache` member.
    private(set) var pragmaNoCache = false
    private(set) var hasAuthorization = false

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers {
            switch name.utf8.count {
            case 5 where FieldName.equals(name, "range"):
                hasRange = true
            case 6 where FieldName.equals(name, "pragma"):
                if value.split(separator: ",").contains(where: { FieldName.equals(String($0.trimmingOWS()), "no-cache") }) {
                    pragmaNoCache = true
                }
            case 13 where FieldName.equals(name, "cache-control"):
                hasCacheControl = true
                cacheControl.parse(value)
            case 13 where FieldName.equals(name, "authorization"):
                hasAuthorization = true
            default:
                if FieldName.hasPrefix(name, "x-"),
                   CachePolicy.methodOverrideFields.contains(where: { FieldName.equals(name, lowercased: $0) }) {
                    hasMethodOverride = true
                }
            }
        }
    }
}
