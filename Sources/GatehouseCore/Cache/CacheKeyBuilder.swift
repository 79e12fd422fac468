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
        let namespace = namespace ?? ""
        let versionText = String(namespaceVersion)
        let bodyLength = 1 + Self.fieldLength(version) + Self.fieldLength(namespace) + Self.fieldLength(versionText)
            + Self.fieldLength(target.scheme) + Self.fieldLength(target.host) + Self.fieldLength(target.target)
        // Written byte by byte into one allocation: this runs for every cacheable request.
        let value = String(unsafeUninitializedCapacity: 18 + bodyLength) { bytes in
            var index = 18
            bytes[index] = UInt8(ascii: "u")
            index += 1
            Self.writeField(version, into: bytes, at: &index)
            Self.writeField(namespace, into: bytes, at: &index)
            Self.writeField(versionText, into: bytes, at: &index)
            Self.writeField(target.scheme, into: bytes, at: &index)
            Self.writeField(target.host, into: bytes, at: &index)
            Self.writeField(target.target, into: bytes, at: &index)
            bytes[0] = UInt8(ascii: "{")
            HexDigits.write(FNV1a.hash64(UnsafeBufferPointer(rebasing: bytes[18..<index])), into: UnsafeMutableBufferPointer(rebasing: bytes[1..<17]))
            bytes[17] = UInt8(ascii: "}")
            return index
        }
        return CacheURLKey(value: value)
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

    private static func fieldLength(_ field: String) -> Int {
        let count = field.utf8.count
        var digits = 1
        var rest = count / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits + 1 + count + 1
    }

    private static func writeField(_ field: String, into bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        for digit in String(field.utf8.count).utf8 {
            bytes[index] = digit
            index += 1
        }
        bytes[index] = UInt8(ascii: ":")
        index += 1
        for byte in field.utf8 {
            bytes[index] = byte
            index += 1
        }
        bytes[index] = UInt8(ascii: ",")
        index += 1
    }
}
