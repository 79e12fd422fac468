// CacheControl: the Cache-Control directives (RFC 9111 §5.2, RFC 5861) a shared cache acts on.
import NIOHTTP1

/// Directives parsed from every `Cache-Control` field line of a request or a response.
/// Qualified `private="…"` and `no-cache="…"` are treated as their unqualified forms, the
/// conservative reading RFC 9111 allows. For a repeated directive the first occurrence wins; an
/// invalid `max-age`/`s-maxage` value counts as 0 (stale), as RFC 9111 §4.2.1 encourages.
public struct CacheControl: Sendable, Equatable {
    public var noStore = false
    public var noCache = false
    public var isPrivate = false
    public var isPublic = false
    public var mustRevalidate = false
    public var proxyRevalidate = false
    public var maxAge: Int64?
    public var sMaxAge: Int64?
    /// RFC 5861 extensions.
    public var staleWhileRevalidate: Int64?
    public var staleIfError: Int64?

    /// The largest delta-seconds a cache needs to represent (RFC 9111 §1.2.2).
    public static let deltaSecondsLimit: Int64 = DeltaSeconds.limit

    public init() {}

    /// Parses every `Cache-Control` line of `headers`.
    public init(headers: HTTPHeaders) {
        // Each line whole (the parser reads comma-separated lists itself, quoted commas included):
        // splitting with `[canonicalForm:]` allocated per directive on every response.
        for (name, value) in headers where FieldName.equals(name, "cache-control") {
            parse(value)
        }
    }

    /// Parses one field value.
    public init(parsing value: some StringProtocol) {
        parse(String(value))
    }

    /// A delta-seconds value (digits only), clamped to `deltaSecondsLimit`; nil when invalid.
    public static func deltaSeconds(_ text: some StringProtocol) -> Int64? {
        var seconds = DeltaSeconds()
        for byte in text.utf8 {
            seconds.append(byte)
        }
        return seconds.value
    }

    /// Adds the directives of one field line.
    mutating func parse(_ value: String) {
        ParameterList.forEach(in: value) { name, argument in apply(name, argument) }
    }

    private mutating func apply(_ name: UnsafeBufferPointer<UInt8>, _ argument: Int64?) {
        switch name.count {
        case 6 where FieldName.equals(name, "public"): isPublic = true
        case 7 where FieldName.equals(name, "max-age"):
            if maxAge == nil { maxAge = argument ?? 0 }
        case 7 where FieldName.equals(name, "private"): isPrivate = true
        case 8 where FieldName.equals(name, "no-store"): noStore = true
        case 8 where FieldName.equals(name, "no-cache"): noCache = true
        case 8 where FieldName.equals(name, "s-maxage"):
            if sMaxAge == nil { sMaxAge = argument ?? 0 }
        case 14 where FieldName.equals(name, "stale-if-error"):
            if staleIfError == nil { staleIfError = argument }
        case 15 where FieldName.equals(name, "must-revalidate"): mustRevalidate = true
        case 16 where FieldName.equals(name, "proxy-revalidate"): proxyRevalidate = true
        case 22 where FieldName.equals(name, "stale-while-revalidate"):
            if staleWhileRevalidate == nil { staleWhileRevalidate = argument }
        default:
            break
        }
    }
}
