// RedisEventRecorder: counts a client's connection and error events and forwards them to its owner.
import Atomics
import NIOConcurrencyHelpers
import NIOCore

/// Shared by a client, its slots and its connection handlers; safe from any thread.
final class RedisEventRecorder: Sendable {
    private let connectionsUp = ManagedAtomic<Int>(0)
    private let errors = ManagedAtomic<Int>(0)
    private let connects = ManagedAtomic<Int>(0)
    private let poolSize: Int
    private let onEvent: (@Sendable (RedisClientEvent) -> Void)?
    /// Waiters for the first connection; touched on up/down transitions only, never per command.
    private let connectionWaiters = NIOLockedValueBox<[EventLoopPromise<Void>]>([])

    init(poolSize: Int, onEvent: (@Sendable (RedisClientEvent) -> Void)?) {
        self.poolSize = poolSize
        self.onEvent = onEvent
    }

    var stats: RedisClientStats {
        RedisClientStats(
            connectionsUp: connectionsUp.load(ordering: .relaxed),
            poolSize: poolSize,
            errorsTotal: errors.load(ordering: .relaxed),
            connectsTotal: connects.load(ordering: .relaxed)
        )
    }

    var isConnected: Bool { connectionsUp.load(ordering: .relaxed) > 0 }

    func connected(slot: Int) {
        connects.wrappingIncrement(ordering: .relaxed)
        // Under the lock so a waiter registering concurrently sees either the count or the wake-up.
        let waiters = connectionWaiters.withLockedValue { waiters -> [EventLoopPromise<Void>] in
            connectionsUp.wrappingIncrement(ordering: .relaxed)
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiters { waiter.succeed() }
        onEvent?(.connected(slot: slot))
    }

    func disconnected(slot: Int) {
        connectionsUp.wrappingDecrement(ordering: .relaxed)
        onEvent?(.disconnected(slot: slot))
    }

    func connectFailed(slot: Int, error: RedisError) {
        errors.wrappingIncrement(ordering: .relaxed)
        onEvent?(.connectFailed(slot: slot, error: error))
    }

    func commandFailed(_ error: RedisError) {
        errors.wrappingIncrement(ordering: .relaxed)
        onEvent?(.commandFailed(error))
    }

    /// Succeeds `promise` as soon as a connection is up (at once if one is).
    func notifyWhenConnected(_ promise: EventLoopPromise<Void>) {
        let up = connectionWaiters.withLockedValue { waiters -> Bool in
            if connectionsUp.load(ordering: .relaxed) > 0 { return true }
            waiters.append(promise)
            return false
        }
        if up { promise.succeed() }
    }

    /// Drops a waiter that gave up (timed out); succeeding it later would be harmless but leaks.
    func forgetWaiter(_ future: EventLoopFuture<Void>) {
        connectionWaiters.withLockedValue { waiters in
            waiters.removeAll { $0.futureResult === future }
        }
    }
}
