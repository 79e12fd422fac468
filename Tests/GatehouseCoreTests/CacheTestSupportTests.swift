// CacheTestSupportTests: an inline event loop for the cache tests (fixtures live in GatehouseTesting).

import Dispatch
import NIOCore
import NIOHTTP1
@testable import GatehouseCore

/// An event loop that runs everything at once on the calling thread: enough for stores that
/// answer with completed futures, and for `get()` in async tests. Scheduling is unsupported.
final class InlineEventLoop: EventLoop, Sendable {
    struct Unsupported: Error {}

    var inEventLoop: Bool { true }

    func execute(_ task: @escaping @Sendable () -> Void) {
        task()
    }

    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        promise.fail(Unsupported())
        return Scheduled(promise: promise, cancellationTask: {})
    }

    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        queue.async { callback(nil) }
    }
}
