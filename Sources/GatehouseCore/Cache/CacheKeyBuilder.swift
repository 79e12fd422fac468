// CacheKeyBuilder: turns a target, namespace version and user into stable key strings.

/// Builds keys of the form
/// `{hash}` `u` ⟨cache.version⟩ ⟨namespace⟩ ⟨namespace version⟩ ⟨scheme⟩ ⟨host⟩ ⟨target⟩ — the URL key —
/// then `s` (shared) or `p` ⟨user⟩ — the primary key — then `v` and the Vary fields — the
/// variant key, where every ⟨field⟩ is `length:bytes,`. The strings are the same in every
/// process (no seeded hashing), so they can name Redis keys shared by several instances.
public struct CacheKeyBuilder: Sendable, Equatable {
    /// `cache.version`: changing it makes every existing key unreachable.
    public let version: String

    /// What follows the URL key in the primary key of an entry shared by every user.
    static let sharedMarker = UInt8(ascii: "s")

    public init(version: String) {
        self.version = version
    }

    /// The key every entry of `target` shares, for lookup and for purge.
    public func urlKey(for target: CacheTarget, namespace: String?, namespaceVersion: UInt64) -> CacheURLKey {
        CacheURLKey(value: key(for: target, namespace: namespace ?? "", namespaceVersion: namespaceVersion, suffixLength: 0) { _, _ in })
    }

    /// The primary key of `target`, with the user when `user` is non-nil: the URL key followed by
    /// `s` (shared) or `p` and the user, in the same allocation.
    public func primaryKey(for target: CacheTarget, namespace: String?, namespaceVersion: UInt64, user: String?) -> CachePrimaryKey {
        var urlLength = 0
        let value = key(
            for: target, namespace: namespace ?? "", namespaceVersion: namespaceVersion,
            suffixLength: 1 + (user.map(Self.fieldLength) ?? 0)
        ) { bytes, index in
            urlLength = index
            if let user {
                bytes[index] = UInt8(ascii: "p")
                index += 1
                Self.writeField(user, into: bytes, at: &index)
            } else {
                bytes[index] = Self.sharedMarker
                index += 1
            }
        }
        return CachePrimaryKey(value: value, urlLength: urlLength)
    }

    /// `{hash}u` and the URL's fields, then what `writeSuffix` writes (`suffixLength` bytes at
    /// most), byte by byte into one allocation: this runs for every cacheable request.
    private func key(
        for target: CacheTarget, namespace: String, namespaceVersion: UInt64, suffixLength: Int,
        writeSuffix: (UnsafeMutableBufferPointer<UInt8>, inout Int) -> Void
    ) -> String {
        let bodyLength = 1 + Self.fieldLength(version) + Self.fieldLength(namespace) + Self.fieldLength(namespaceVersion)
            + Self.fieldLength(target.scheme) + Self.fieldLength(target.host) + Self.fieldLength(target.target)
        return String(unsafeUninitializedCapacity: 18 + bodyLength + suffixLength) { bytes in
            var index = 18
            bytes[index] = UInt8(ascii: "u")
            index += 1
            Self.writeField(version, into: bytes, at: &index)
            Self.writeField(namespace, into: bytes, at: &index)
            Self.writeField(namespaceVersion, into: bytes, at: &index)
            Self.writeField(target.scheme, into: bytes, at: &index)
            Self.writeField(target.host, into: bytes, at: &index)
            Self.writeField(target.target, into: bytes, at: &index)
            bytes[0] = UInt8(ascii: "{")
            HexDigits.write(FNV1a.hash64(UnsafeBufferPointer(rebasing: bytes[18..<index])), into: UnsafeMutableBufferPointer(rebasing: bytes[1..<17]))
            bytes[17] = UInt8(ascii: "}")
            writeSuffix(bytes, &index)
            return index
        }
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
        return DecimalDigits.count(UInt64(count)) + 1 + count + 1
    }

    /// The length of a number written as a field (`namespaceVersion`).
    private static func fieldLength(_ number: UInt64) -> Int {
        let digits = DecimalDigits.count(number)
        return DecimalDigits.count(UInt64(digits)) + 1 + digits + 1
    }

    private static func writeField(_ field: String, into bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        let count = field.utf8.count
        writeDecimal(UInt64(count), into: bytes, at: &index)
        bytes[index] = UInt8(ascii: ":")
        index += 1
        let start = index
        field.withUTF8Bytes { source in
            _ = UnsafeMutableBufferPointer(rebasing: bytes[start..<(start + source.count)]).initialize(fromContentsOf: source)
        }
        index += count
        bytes[index] = UInt8(ascii: ",")
        index += 1
    }

    /// A number as a field, the same bytes as its decimal text would be.
    private static func writeField(_ number: UInt64, into bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        writeDecimal(UInt64(DecimalDigits.count(number)), into: bytes, at: &index)
        bytes[index] = UInt8(ascii: ":")
        index += 1
        writeDecimal(number, into: bytes, at: &index)
        bytes[index] = UInt8(ascii: ",")
        index += 1
    }

    private static func writeDecimal(_ value: UInt64, into bytes: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        index += DecimalDigits.withDigits(value) { digits in
            for (offset, digit) in digits.enumerated() {
                bytes[index + offset] = digit
            }
            return digits.count
        }
    }
}
