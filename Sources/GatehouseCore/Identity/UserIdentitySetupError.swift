// UserIdentitySetupError: why the identity stage could not be built from a valid-looking config.

/// A problem found while loading identity secrets and keys (a missing environment variable, an
/// unreadable or unusable key file) — things `ConfigLoader` cannot see because they are not in the file.
public struct UserIdentitySetupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key path the problem is about, e.g. `identity.jwt.secret_env`.
    public var path: String
    /// A sentence for the operator; never contains a secret.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    /// The same problem as a config issue of `file`, at the line where `lines` say its key (or
    /// the nearest written key above it) was written.
    public func configIssue(file: String, lines: ConfigKeyLines = ConfigKeyLines()) -> ConfigIssue {
        ConfigIssue(file: file, line: lines.line(of: path), path: path, message: message)
    }
}
