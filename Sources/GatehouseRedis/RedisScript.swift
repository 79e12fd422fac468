// RedisScript: a Lua script and the SHA1 Redis knows it by.

/// A Lua script for ``RedisClient/evalsha(_:keys:arguments:on:)``; its SHA1 is computed once, here.
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The lowercase hex SHA1 of ``source``, as `SCRIPT LOAD` returns it.
    public let sha1: String

    /// Wraps `source` and computes its SHA1.
    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hexDigest(of: Array(source.utf8))
    }
}
