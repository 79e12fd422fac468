// CachePrimaryKey: the first-level key, without Vary, that finds a URL's stored variants.

/// The URL key plus the user for `per_user` rules. Under it the store keeps either the one
/// entry (a response without `Vary`) or the list of header names its variants vary on.
public struct CachePrimaryKey: Hashable, Sendable, CustomStringConvertible {
    public let url: CacheURLKey
    public let value: String

    init(url: CacheURLKey, value: String) {
        self.url = url
        self.value = value
    }

    public var description: String { value }
}
