// Why a DemoAPIServer could not start.

/// Errors of ``DemoAPIServer/start(host:port:)``.
public enum DemoAPIServerError: Error, Sendable, Equatable {
    /// `start` was called on a server that is running or was shut down.
    case alreadyStarted
    /// `shutdown` was called while `start` was still binding.
    case shutDownWhileStarting
    /// The listening socket reported no local port.
    case noBoundPort
}
