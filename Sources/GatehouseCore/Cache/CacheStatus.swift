// CacheStatus: the Cache-Status response field (RFC 9211) naming what the cache did.
import NIOCore

/// What the cache did for one response, as `Cache-Status: gatehouse; …`.
public enum CacheStatus: Sendable, Equatable {
    /// Served fresh from the cache: `gatehouse; hit; ttl=25`.
    case hit(ttl: Int64)
    /// Served stale while a background refresh goes forward: `gatehouse; hit; fwd=stale; ttl=-3`.
    case staleWhileRevalidate(ttl: Int64)
    /// Served stale because the upstream failed (`fwdStatus` nil) or answered 5xx:
    /// `gatehouse; fwd=stale; fwd-status=503; ttl=-40; detail=stale-if-error`.
    case staleIfError(ttl: Int64, fwdStatus: UInt?)
    /// Went forward: `gatehouse; fwd=miss; stored`, `gatehouse; fwd=uri-miss`,
    /// `gatehouse; fwd=bypass`, `gatehouse; fwd=stale; fwd-status=304; ttl=60; stored`
    /// (revalidated, served from the cache).
    case forward(CacheForwardReason, fwdStatus: UInt? = nil, ttl: Int64? = nil, stored: Bool = false, collapsed: Bool = false)

    /// The cache's name in the field.
    public static let cacheName = "gatehouse"
    public static let headerName = "Cache-Status"

    /// The field value (`CacheStatus+Wire` writes it; this is its text).
    public var headerValue: String {
        var buffer = ByteBuffer()
        writeValue(into: &buffer)
        return String(buffer: buffer)
    }

    /// `result` label of `gatehouse_cache_lookups_total` (hit|miss|stale|bypass).
    public var lookupResult: String {
        switch self {
        case .hit: return "hit"
        case .staleWhileRevalidate, .staleIfError: return "stale"
        case .forward(.bypass, _, _, _, _), .forward(.method, _, _, _, _): return "bypass"
        case .forward(.stale, _, _, _, _): return "stale"
        case .forward: return "miss"
        }
    }
}
