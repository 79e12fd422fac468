// RedisCacheStore+EpochCache: this instance's copy of the global purge epoch, refreshed at most every interval.
import NIOConcurrencyHelpers
import NIOCore

extension RedisCacheStore {
    /// `purgeAll` increments one counter (`prefix + "epoch"`) that every entry key contains, so
    /// everything written before becomes unreachable at once and leaves by its own TTL. Reading
    /// the counter on every lookup would double the round trips, so each instance keeps a copy
    /// for `refreshInterval`: another instance's `purgeAll` takes effect here within that time
    /// (this instance's own at once).
    final class EpochCache: Sendable {
        private struct Copy {
            var epoch: UInt64
            var fetchedAt: NIODeadline
        }

        let key: String
        let refreshInterval: TimeAmount
        private let copy = NIOLockedValueBox<Copy?>(nil)

        init(key: String, refreshInterval: TimeAmount) {
            self.key = key
            self.refreshInterval = refreshInterval
        }

        /// The epoch, from the copy while it is fresh, else from Redis.
        func current(client: RedisClient, on eventLoop: any EventLoop) -> EventLoopFuture<UInt64> {
            let now = NIODeadline.now()
            if let epoch = fresh(at: now) {
                return eventLoop.makeSucceededFuture(epoch)
            }
            return client.get(.string(key), on: eventLoop).map { value in
                let epoch = value.flatMap { UInt64(String(buffer: $0)) } ?? 0
                self.remember(epoch, at: now)
                return epoch
            }
        }

        /// The copy while it is fresh at `now`; nil when Redis must be asked.
        func fresh(at now: NIODeadline = .now()) -> UInt64? {
            guard let copy = copy.withLockedValue({ $0 }), now - copy.fetchedAt < refreshInterval else { return nil }
            return copy.epoch
        }

        /// Records an epoch just read or written. Redis' value wins even when lower: a Redis
        /// restarted empty starts again at 0, and every instance must agree on it.
        func remember(_ epoch: UInt64, at time: NIODeadline = .now()) {
            copy.withLockedValue { $0 = Copy(epoch: epoch, fetchedAt: time) }
        }
    }
}
