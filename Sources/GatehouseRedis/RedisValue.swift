// RedisValue: one decoded RESP reply, as hiredis' reader hands it over.
import NIOCore

/// A reply from Redis.
///
/// Bulk strings are binary-safe ``ByteBuffer``s. The linked hiredis (0.14) speaks RESP2 only, so
/// RESP3 types (maps, sets, doubles, booleans) never appear: Redis answers RESP2 clients in RESP2.
public enum RedisValue: Sendable, Hashable {
    /// A status reply such as `OK` or `PONG`.
    case simpleString(String)
    /// An error reply, e.g. `NOSCRIPT No matching script`; returned as a value by
    /// ``RedisClient/send(_:on:)``, thrown as ``RedisError/server(_:)`` by the typed helpers.
    case error(String)
    /// An integer reply.
    case integer(Int)
    /// A bulk string, byte for byte as stored.
    case bulkString(ByteBuffer)
    /// A nil bulk string or nil array (`GET` of a missing key).
    case null
    /// An array reply (`MGET`, `EVALSHA` results, ...).
    case array([RedisValue])
}
