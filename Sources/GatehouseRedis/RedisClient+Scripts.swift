// RedisClient+Scripts: EVALSHA with a transparent SCRIPT LOAD when Redis does not know the script.
import NIOCore

extension RedisClient {
    /// `SCRIPT LOAD`: the SHA1 Redis files the script under.
    public func scriptLoad(_ script: RedisScript, on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<String> {
        expect(send(["SCRIPT", "LOAD", .string(script.source)], on: eventLoop)) { reply in
            guard case .bulkString = reply else { return nil }
            return reply.string
        }
    }

    /// `EVALSHA sha numkeys keys... args...`; on `NOSCRIPT` (Redis restarted, `SCRIPT FLUSH`) loads
    /// the script and runs it once more. An error reply from the script throws
    /// ``RedisError/server(_:)``.
    public func evalsha(
        _ script: RedisScript,
        keys: [RedisArgument] = [],
        arguments: [RedisArgument] = [],
        on eventLoop: (any EventLoop)? = nil
    ) -> EventLoopFuture<RedisValue> {
        let run = { @Sendable (sha1: String) -> EventLoopFuture<RedisValue> in
            self.send(["EVALSHA", .string(sha1), .integer(keys.count)] + keys + arguments, on: eventLoop)
        }
        let first = run(script.sha1)
        let ran = first.flatMap { reply -> EventLoopFuture<RedisValue> in
            guard let message = reply.errorMessage, message.hasPrefix("NOSCRIPT") else {
                return first.eventLoop.makeSucceededFuture(reply)
            }
            // Retry under the SHA1 Redis reports, in case it ever disagrees with ours.
            return self.scriptLoad(script, on: eventLoop).flatMap(run)
        }
        return expect(ran) { $0 }
    }
}
