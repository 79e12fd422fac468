// EventLoopFuture+Deadline: a bound on how long the data path waits for a remote store.
import NIOCore

/// A remote store (Redis) did not answer in time; the caller treats it like any store failure.
struct StoreDeadlineExceeded: Error {}

extension EventLoopFuture {
    /// This future's result, or a `StoreDeadlineExceeded` failure after `timeout` — whichever
    /// comes first. The client's own per-command timeout should win; this is the backstop that
    /// guarantees a request never waits on a store forever.
    func deadline(_ timeout: TimeAmount, on eventLoop: any EventLoop) -> EventLoopFuture<Value> {
        let promise = eventLoop.makePromise(of: Value.self)
        let settled = NIOLoopBoundBox(false, eventLoop: eventLoop)
        let timer = eventLoop.scheduleTask(in: timeout) {
            guard !settled.value else { return }
            settled.value = true
            promise.fail(StoreDeadlineExceeded())
        }
        hop(to: eventLoop).whenComplete { result in
            guard !settled.value else { return }
            settled.value = true
            timer.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
