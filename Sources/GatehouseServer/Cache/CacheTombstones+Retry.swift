// CacheTombstones+Retry: carries out failed invalidations again once Redis is back, then forgets them.
import GatehouseCore
import GatehouseRedis
import NIOCore

extension CacheTombstones {
    /// Waits for the next Redis connection, or the backoff's delay (a failure that left the
    /// connection up sends no connection event), whichever comes first.
    func armRetry() {
        let (token, delay, watch) = state.withLockedValue { state -> (UInt64, TimeAmount, Bool) in
            state.lastToken += 1
            state.armed = state.lastToken
            let watch = !state.watching && connects != nil
            state.watching = state.watching || watch
            return (state.lastToken, state.backoff.nextDelay(), watch)
        }
        eventLoop.scheduleTask(in: delay) { self.trigger(token) }
        if watch, let connects {
            let eventLoop = self.eventLoop
            connects.onNextConnect {
                eventLoop.execute {
                    self.state.withLockedValue { $0.watching = false }
                    self.trigger(nil)
                }
            }
        }
    }

    /// Starts a round when `token` is the armed wait's (nil: a connection came up).
    private func trigger(_ token: UInt64?) {
        let start = state.withLockedValue { state -> Bool in
            if state.running {
                if token == nil { state.rerun = true }
                return false
            }
            guard state.armed != 0, token == nil || token == state.armed else { return false }
            state.armed = 0
            state.running = true
            return true
        }
        if start { runRound() }
    }

    /// Retries every tombstone once; settles those that succeeded.
    private func runRound() {
        let tombstones = state.withLockedValue { $0.table.all }
        let attempts = tombstones.map { retry($0).map { _ in () } }
        EventLoopFuture.whenAllComplete(attempts, on: eventLoop).whenSuccess { results in
            self.roundEnded(tombstones, results)
        }
    }

    private func roundEnded(_ tombstones: [CacheTombstone], _ results: [Result<Void, any Error>]) {
        enum Next { case done, again, wait }
        let next = state.withLockedValue { state -> Next in
            state.running = false
            for (tombstone, result) in zip(tombstones, results) {
                switch result {
                case .success:
                    state.table.settle(tombstone)
                case .failure(let error as RedisError) where error == .clientClosed:
                    // The client is closed (shutdown, or a reload replaced it): nobody reads
                    // through this store any more, and no retry could reach it.
                    state.table.removeAll()
                case .failure:
                    break
                }
            }
            if state.table.isEmpty {
                active.store(false, ordering: .releasing)
                state.backoff.reset()
                state.rerun = false
                return .done
            }
            if state.rerun {
                state.rerun = false
                state.running = true
                return .again
            }
            return .wait
        }
        switch next {
        case .done: break
        case .again: runRound()
        case .wait: armRetry()
        }
    }

    /// The store operation `tombstone` stands for.
    private func retry(_ tombstone: CacheTombstone) -> EventLoopFuture<Int> {
        switch tombstone.subject {
        case .url(let target, let namespace, let keys):
            return store.purge(target, namespace: namespace, keys: keys, noting: invalidations, on: eventLoop)
        case .namespace(let name):
            return store.bumpNamespace(name, on: eventLoop).map { _ in 1 }
        case .everything:
            invalidations.recordAll()
            return store.purgeAll(on: eventLoop).map { 1 }
        }
    }
}
