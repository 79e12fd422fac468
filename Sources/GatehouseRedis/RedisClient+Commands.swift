// RedisClient+Commands: typed helpers for the commands Gatehouse's stores use.
import NIOCore

extension RedisClient {
    /// `PING`; succeeds on `PONG`.
    public func ping(on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<Void> {
        expect(send(["PING"], on: eventLoop)) { $0 == .simpleString("PONG") ? () : nil }
    }

    /// `GET key`: the value's bytes, or nil when the key does not exist.
    public func get(_ key: RedisArgument, on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<ByteBuffer?> {
        expect(send(["GET", key], on: eventLoop)) { reply -> ByteBuffer?? in
            switch reply {
            case .bulkString(let buffer): .some(buffer)
            case .null: .some(nil)
            default: nil
            }
        }
    }

    /// `SET key value [PX ttl]`; `ttl` is sent in milliseconds (at least 1).
    public func set(
        _ key: RedisArgument,
        to value: RedisArgument,
        ttl: Duration? = nil,
        on eventLoop: (any EventLoop)? = nil
    ) -> EventLoopFuture<Void> {
        var command: [RedisArgument] = ["SET", key, value]
        if let ttl {
            command += ["PX", .integer(Self.milliseconds(ttl))]
        }
        return expect(send(command, on: eventLoop)) { $0 == .simpleString("OK") ? () : nil }
    }

    /// `DEL key...`: how many of the keys existed.
    public func del(_ keys: [RedisArgument], on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<Int> {
        expect(send(["DEL"] + keys, on: eventLoop)) { $0.integer }
    }

    /// `INCR key`: the value after the increment.
    public func incr(_ key: RedisArgument, on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<Int> {
        expect(send(["INCR", key], on: eventLoop)) { $0.integer }
    }

    /// `PEXPIRE key ttl`: false when the key does not exist.
    public func expire(_ key: RedisArgument, after ttl: Duration, on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<Bool> {
        expect(send(["PEXPIRE", key, .integer(Self.milliseconds(ttl))], on: eventLoop)) { reply in
            reply.integer.map { $0 == 1 }
        }
    }

    /// Checks a reply: an error reply throws ``RedisError/server(_:)``, a reply `transform` rejects
    /// (returns nil for) throws ``RedisError/unexpectedReply(_:)``. Either counts as a failed
    /// command: a Redis out of memory or turned read-only answers every write so, and the
    /// operator must see that in `gatehouse_redis_errors_total`, not only timeouts and drops.
    func expect<Result>(
        _ reply: EventLoopFuture<RedisValue>,
        _ transform: @escaping @Sendable (RedisValue) -> Result?
    ) -> EventLoopFuture<Result> {
        reply.flatMapThrowing { value in
            if case .error(let message) = value {
                self.errorReplied(message)
                throw RedisError.server(message)
            }
            guard let result = transform(value) else {
                self.recorder.commandFailed(.unexpectedReply(value))
                throw RedisError.unexpectedReply(value)
            }
            return result
        }
    }

    /// Counts, and logs now and then, an error reply that failed a command (``expect(_:_:)``
    /// calls it; so does a caller of ``send(_:on:)`` that could not use the reply).
    func errorReplied(_ message: String) {
        recorder.commandFailed(.server(message))
        errorReplies.note(message)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int(max(1, milliseconds))
    }
}
