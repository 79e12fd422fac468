// ConfigError: what the loader throws — every problem it found, not only the first.

/// Thrown by `ConfigLoader` when a config file has problems; `issues` holds all of them in file order.
public struct ConfigError: Error, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    /// One issue per line, as `gatehouse check` prints them.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
