// RuntimeBox: the current ProxyRuntime, swapped whole on reload.
import Atomics

/// Holds the runtime new requests use. A request reads it once, at its head, and keeps that
/// runtime to its end, so a reload never changes the rules under a request in flight.
final class RuntimeBox: Sendable {
    private let current: ManagedAtomic<ProxyRuntime>

    init(_ runtime: ProxyRuntime) {
        self.current = ManagedAtomic(runtime)
    }

    var runtime: ProxyRuntime {
        current.load(ordering: .acquiring)
    }

    /// Installs `runtime` and returns the one it replaces.
    func swap(_ runtime: ProxyRuntime) -> ProxyRuntime {
        current.exchange(runtime, ordering: .acquiringAndReleasing)
    }
}
