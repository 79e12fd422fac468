// CacheReclaimer: sweeps expired entries out of the memory store every second.
import GatehouseCore
import NIOCore

/// Lookups drop the expired entries they meet; this sweep reclaims the ones nobody asks for
/// again, a bounded number per tick so a sweep never holds the store for long.
final class CacheReclaimer: Sendable {
    private let task: RepeatedTask

    private init(task: RepeatedTask) {
        self.task = task
    }

    static func start(state: ServerState, on eventLoop: any EventLoop) -> CacheReclaimer {
        let task = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            guard let memory = state.runtime.cache?.store as? MemoryCacheStore else { return }
            _ = memory.reclaimExpired(now: .now())
        }
        return CacheReclaimer(task: task)
    }

    func stop() {
        task.cancel()
    }
}
