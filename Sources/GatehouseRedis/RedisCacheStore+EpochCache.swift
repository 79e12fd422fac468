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
            /// When the command that read or wrote it was sent; fresh for `refreshInterval` from then.
            var fetchedAt: NIODeadline
            /// When its reply arrived: a reply to a command sent before this may be older.
            var learnedAt: NIODeadline
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
                self.remember(value.flatMap { UInt64(String(buffer: $0)) } ?? 0, sentAt: now)
            }
        }

        /// The copy while it is fresh at `now`; nil when Redis must be asked.
        func fresh(at now: NIODeadline = .now()) -> UInt64? {
            guard let copy = copy.withLockedValue({ $0 }), now - copy.fetchedAt < refreshInterval else { return nil }
            return copy.epoch
        }

        /// The copy, fresh or not; nil until an epoch was first read or written.
        var known: UInt64? {
            copy.withLockedValue { $0?.epoch }
        }

        /// Records an epoch read or written by a command sent at `sentAt` whose reply arrived at
        /// `receivedAt`, and returns the epoch to use from now on.
        ///
        /// Replies on different connections can arrive out of order: a GET sent before a
        /// `purgeAll` may be answered after its INCR, and taking that N over the copy's N + 1
        /// would bring back everything the purge dropped. So a lower epoch is ignored when its
        /// command was sent before the copy arrived. One sent afterwards is what Redis holds now
        /// and wins even though lower: a Redis restarted empty starts again at 0, and every
        /// instance must agree on it.
        @discardableResult
        func remember(_ epoch: UInt64, sentAt: NIODeadline, receivedAt: NIODeadline = .now()) -> UInt64 {
            copy.withLockedValue { copy in
                if let current = copy, epoch <= current.epoch, sentAt < current.learnedAt {
                    if epoch == current.epoch, sentAt > current.fetchedAt {
                        copy?.fetchedAt = sentAt
                    }
                    return current.epoch
                }
                copy = Copy(epoch: epoch, fetchedAt: sentAt, learnedAt: receivedAt)
                return epoch
            }
        }
    }
}
