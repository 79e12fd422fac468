// ConnectionLimiter: counts open client connections against `server.max_connections`.
import Atomics

/// A lock-free count of open client connections with a ceiling.
final class ConnectionLimiter: Sendable {
    private let active = ManagedAtomic<Int>(0)
    private let limit: ManagedAtomic<Int>

    init(limit: Int) {
        self.limit = ManagedAtomic(limit)
    }

    /// Claims a slot; false when the ceiling is reached (the caller refuses the connection).
    func tryAcquire() -> Bool {
        let now = active.wrappingIncrementThenLoad(ordering: .relaxed)
        if now > limit.load(ordering: .relaxed) {
            active.wrappingDecrement(ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        active.wrappingDecrement(ordering: .relaxed)
    }

    var activeCount: Int { active.load(ordering: .relaxed) }

    func updateLimit(_ newLimit: Int) {
        limit.store(newLimit, ordering: .relaxed)
    }
}
