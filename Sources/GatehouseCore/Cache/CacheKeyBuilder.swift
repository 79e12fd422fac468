// CacheKeyBuilder: turns a target, namespace version and user into stable key strings.

/// Builds keys of the form
/// `{hash}` `u` ⟨cache.version⟩ ⟨namespace⟩ ⟨namespace version⟩ ⟨scheme⟩ ⟨host⟩ ⟨target⟩ — the URL key —
/// then `s` (shared) or `p` ⟨user⟩ — the primary key — then `v` and the Vary fields — the
/// variant key, where every ⟨field⟩ is `length:bytes,`. The strings are the same in every
/// process (no seeded hashing), so they can name Redis keys shared by several instances.
public struct CacheKeyBuilder: Sendable, Equatable {
    /// `cache.version`: changing it makes every existing key unreachable.
    public let version: String

    public init(version: String) {
        self.version = version
    }

    /// The key every entry of `target` shares, for lookup and for purge.
    public func urlKey(for target: CacheTarget, namespace: String?, namespaceVersion: UInt64) -> CacheURLKey {
        var body = "u"
        Self.appendField(version, to: &body)
        Self.appendField(namespace ?? "", to: &body)
        Self.appendField(String(namespaceVersion), to: &body)
        Self.appendField(target.scheme, to: &body)
        Self.appendField(target.host, to: &body)
        Self.appendField(target.target, to: &body)
        return CacheURLKey(value: "{" + FNV1a.hex(FNV1a.hash64(body.utf8)) + "}" + body)
    }

    /// The primary key of `target`, with the user when `user` is non-nil.
    public func primaryKey(for target: CacheTarget, namespace: String?, namespaceVersion: UInt64, user: String?) -> CachePrimaryKey {
        let url = urlKey(for: target, namespace: namespace, namespaceVersion: namespaceVersion)
        guard let user else {
            return CachePrimaryKey(url: url, value: url.value + "s")
        }
        var value = url.value + "p"
        Self.appendField(user, to: &value)
        return CachePrimaryKey(url: url, value: value)
    }

    /// The primary key of a cacheable request: its rule's namespace, and its user when the rule
    /// is `per_user`. `namespaceVersion` is the store's current version of that namespace
    /// (0 when the rule has none).
    public func primaryKey(for request: CacheableRequest, namespaceVersion: UInt64) -> CachePrimaryKey {
        primaryKey(
            for: request.target,
            namespace: request.rule?.namespace,
            namespaceVersion: namespaceVersion,
            user: request.keyUser
        )
    }

    /// `length:bytes,` — unambiguous whatever the bytes are.
    static func appendField(_ field: String, to key: inout String) {
        key += String(field.utf8.count)
        key += ":"
        key += field
        key += ","
    }
}
