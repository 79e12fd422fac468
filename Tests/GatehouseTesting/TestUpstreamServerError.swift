// Why an in-test origin (TestUpstreamServer, RawTestOrigin) could not start.

/// Errors thrown by ``TestUpstreamServer/start(behaviour:)`` and ``RawTestOrigin/start(answer:)``.
public enum TestUpstreamServerError: Error, Sendable {
    /// The bound socket reported no local port.
    case noLocalPort
}
