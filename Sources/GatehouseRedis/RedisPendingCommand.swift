// RedisPendingCommand: a command written to Redis and still waiting for its reply.
import NIOCore

/// One entry of a connection's reply FIFO.
struct RedisPendingCommand {
    /// Completed with the reply, or failed when the connection gives up on it.
    let promise: EventLoopPromise<RedisValue>
    /// When the reply is overdue; FIFO order keeps deadlines non-decreasing (one timeout per client).
    let deadline: NIODeadline
}
