// RedisConnection+Heartbeat: PINGs a connection that has nothing in flight, so a hung or vanished Redis is noticed without traffic.
import NIOCore

extension RedisConnection {
    /// How often an idle connection is PINGed.
    static let heartbeatInterval: TimeAmount = .seconds(1)

    /// Until the channel closes, every ``heartbeatInterval`` sends a PING when nothing is in
    /// flight. Only a command notices a Redis that stopped answering (stopped, stuck in a script,
    /// a host gone without a reset, a firewall that dropped the idle flow): without one the pool
    /// read "up" for as long as no request came, so `gatehouse_redis_up` and /health said
    /// connected, and the next requests paid `redis.timeout` each to find out. The PING fails like
    /// any command (at `redis.timeout`, closing the connection) and the slot reconnects.
    func startHeartbeat() {
        let task = eventLoop.scheduleRepeatedTask(initialDelay: Self.heartbeatInterval, delay: Self.heartbeatInterval) { _ in
            if self.pendingCount == 0 {
                _ = self.send(["PING"])
            }
        }
        closeFuture.whenComplete { _ in task.cancel() }
    }
}
