// CacheURLKey: the identity of one URL within a cache version and namespace version — the unit of purge.

/// Every entry stored for a URL (all users, all variants) shares this key as its prefix, so
/// purging a URL finds them all. It starts with a `{hash}` tag so a Redis Cluster keeps one
/// URL's entries in one slot.
public struct CacheURLKey: Hashable, Sendable, CustomStringConvertible {
    /// `{0123456789abcdef}` followed by length-prefixed fields; stable across processes.
    public let value: String

    init(value: String) {
        self.value = value
    }

    /// The Redis Cluster hash tag, braces included.
    public var hashTag: Substring {
        value.prefix(18)
    }

    /// The primary key of the URL's shared entries (those not stored per user), as
    /// `CacheKeyBuilder` builds it: a purge can name it without reading anything that lists it.
    public var sharedPrimary: CachePrimaryKey {
        CachePrimaryKey(value: value + String(UnicodeScalar(CacheKeyBuilder.sharedMarker)), urlLength: value.utf8.count)
    }

    public var description: String { value }
}
