// StoreDeadlines: one event loop's bound on how long requests wait for a remote store, with one timer.
import NIOCore

/// A remote store (Redis) did not answer in time; the caller treats it like any store failure.
struct StoreDeadlineExceeded: Error {}

/// Fails a store call's future once it has waited past its timeout. The Redis client's own
/// per-command timeout should win; this is the backstop that guarantees a request never waits
/// on a store forever.
///
/// A timer per call (schedule, then cancel on the answer) was ~8% of a Redis cache hit's CPU.
/// Here the calls wait in arrival order and one timer, at the oldest one's deadline, fails
/// whatever is overdue when it fires; answered calls leave the front of the queue as new ones
/// arrive. With one timeout per config, arrival order is deadline order; after a reload that
/// shortens it, a call can be failed late by at most the difference. Confined to its loop.
final class StoreDeadlines {
    private let eventLoop: any EventLoop
    private var waiting = CircularBuffer<any StoreDeadlineWaiter>()
    /// A callback rather than a scheduled task: a task carries a promise, and one scheduled as
    /// the loop shuts down (a lookup started by the last connections' teardown) was never
    /// completed — a leaked promise, which traps in debug builds. Scheduling a callback on a
    /// loop that has shut down throws instead, and cancelling one needs nothing of the loop.
    private var timer: NIOScheduledCallback?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// `future`'s result on this loop, or a `StoreDeadlineExceeded` failure after `timeout`,
    /// whichever comes first. Call on this loop.
    func bound<Value: Sendable>(_ future: EventLoopFuture<Value>, by timeout: TimeAmount) -> EventLoopFuture<Value> {
        let waiter = Waiter(promise: eventLoop.makePromise(of: Value.self), deadline: .now() + timeout)
        dropAnsweredFront()
        waiting.append(waiter)
        armIfNeeded()
        future.hop(to: eventLoop).assumeIsolatedUnsafeUnchecked().whenComplete { result in
            waiter.settle(with: result)
        }
        return waiter.promise.futureResult
    }

    private func dropAnsweredFront() {
        while let first = waiting.first, first.isSettled {
            waiting.removeFirst()
        }
    }

    private func armIfNeeded() {
        guard timer == nil, let first = waiting.first else { return }
        // Nil when the loop has shut down: nothing will run on it again, so nothing waits.
        timer = try? eventLoop.scheduleCallback(at: first.deadline, handler: StoreDeadlineTimer(owner: self))
    }

    fileprivate func timerFired() {
        timer = nil
        let now = NIODeadline.now()
        while let first = waiting.first, first.isSettled || first.deadline <= now {
            waiting.removeFirst()
            first.expire()
        }
        armIfNeeded()
    }

    deinit {
        timer?.cancel()
    }
}

/// The one timer's callback: fails what is overdue, unless the deadlines are gone. Sendable
/// unchecked: the loop runs it, the loop its deadlines belong to, and its cancellation (from
/// `deinit`, on any thread) does nothing with it. (The loop-isolated variant checks, when
/// cancelled, that it is on its loop, which a deinit after shutdown is not.)
private struct StoreDeadlineTimer: NIOScheduledCallbackHandler, @unchecked Sendable {
    weak var owner: StoreDeadlines?

    func handleScheduledCallback(eventLoop: some EventLoop) {
        owner?.timerFired()
    }
}

/// One call waiting on a store, whatever its result type.
private protocol StoreDeadlineWaiter: AnyObject {
    var deadline: NIODeadline { get }
    var isSettled: Bool { get }
    /// Fails the call as overdue, unless it was answered.
    func expire()
}

private final class Waiter<Value: Sendable>: StoreDeadlineWaiter {
    let promise: EventLoopPromise<Value>
    let deadline: NIODeadline
    private(set) var isSettled = false

    init(promise: EventLoopPromise<Value>, deadline: NIODeadline) {
        self.promise = promise
        self.deadline = deadline
    }

    func settle(with result: Result<Value, any Error>) {
        guard !isSettled else { return }
        isSettled = true
        promise.completeWith(result)
    }

    func expire() {
        guard !isSettled else { return }
        isSettled = true
        promise.fail(StoreDeadlineExceeded())
    }
}
