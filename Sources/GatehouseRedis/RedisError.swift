// RedisError: every way a Redis command can fail, as callers need to tell them apart.

/// Why a Redis command or connection failed.
public enum RedisError: Error, Sendable, Hashable {
    /// No connection is up (Redis down, unreachable, or still connecting); failed fast, not queued.
    case unavailable
    /// The reply did not arrive within `redis.timeout`; the connection was closed and is replaced.
    case timeout
    /// The connection closed before the reply arrived; the command may or may not have run.
    case connectionClosed
    /// Redis sent bytes hiredis could not parse, or a reply nobody asked for.
    case protocolError(String)
    /// Redis answered with an error reply where a typed helper expected a result.
    case server(String)
    /// A typed helper got a reply of a kind it does not expect for this command.
    case unexpectedReply(RedisValue)
    /// AUTH, SELECT or the first PING on a new connection failed.
    case handshakeFailed(String)
    /// The command could not be encoded (hiredis refused it or ran out of memory).
    case encodingFailed
    /// The connection attempt failed (refused, unreachable, timed out).
    case connectFailed(String)
    /// ``RedisClient/close()`` was called.
    case clientClosed
}
