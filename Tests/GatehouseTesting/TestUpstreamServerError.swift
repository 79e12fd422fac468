// Why a TestUpstreamServer could not start.

/// Errors thrown by ``TestUpstreamServer/start(behaviour:)``.
public enum TestUpstreamServerError: Error, Sendable {
    /// The bound socket reported no local port.
    case noLocalPort
}
