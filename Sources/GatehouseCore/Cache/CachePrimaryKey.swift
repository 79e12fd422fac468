// CachePrimaryKey: the first-level key, without Vary, that finds a URL's stored variants.

/// The URL key plus the user for `per_user` rules. Under it the store keeps either the one
/// entry (a response without `Vary`) or the list of header names its variants vary on.
///
/// One string: the URL key is its first `urlLength` bytes, made into a `CacheURLKey` only when
/// asked for (storing, purging) — a cache hit never needs it.
public struct CachePrimaryKey: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    private let urlLength: Int

    init(value: String, urlLength: Int) {
        self.value = value
        self.urlLength = urlLength
    }

    /// False for the key of one user's entries (a `per_user` rule).
    public var isShared: Bool {
        let utf8 = value.utf8
        guard let marker = utf8.index(utf8.startIndex, offsetBy: urlLength, limitedBy: utf8.endIndex), marker < utf8.endIndex else {
            return false
        }
        return utf8[marker] == CacheKeyBuilder.sharedMarker
    }

    /// The key of every entry of this URL, whoever it was stored for.
    public var url: CacheURLKey {
        CacheURLKey(value: String(decoding: value.utf8.prefix(urlLength), as: UTF8.self))
    }

    // The URL part is self-delimiting (length-prefixed fields), so `value` alone identifies the key.
    public static func == (lhs: CachePrimaryKey, rhs: CachePrimaryKey) -> Bool {
        lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }

    public var description: String { value }
}
