// ConfigIssue: one problem found in a config file, located by file, line and key path.

/// One problem in a config file, printed as `FILE:LINE: path.to.key: what is wrong`.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    /// The file as it was named to the loader.
    public var file: String
    /// 1-based line of the offending key or value; nil when the problem has no place in the file
    /// (a required key that is missing, a file that cannot be read).
    public var line: Int?
    /// The key path, e.g. `rate_limits.policies[1].window`; empty for the file as a whole.
    public var path: String
    public var message: String

    public init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    /// `FILE:LINE: path: message`, or `FILE: path: message` without a line; the path part is left
    /// out when the issue is about the file as a whole.
    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
