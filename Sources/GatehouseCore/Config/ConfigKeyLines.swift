// ConfigKeyLines: the line of every key a config file wrote, for problems found after loading.

/// Where each key of a loaded file was written, by key path (`identity.jwt.secret_env`,
/// `upstream.servers[1]`), so a problem found later — by `gatehouse check`'s look at the machine,
/// or a reload — is printed as `FILE:LINE: path: what is wrong`, like the loader's own.
///
/// Not part of what a configuration *is*: two files that differ only in layout configure the same
/// proxy, so every `ConfigKeyLines` equals every other and a reload of a reformatted file changes
/// nothing.
public struct ConfigKeyLines: Sendable, Equatable {
    private let lines: [String: Int]

    /// No lines known (a configuration built in code).
    public init() {
        lines = [:]
    }

    init(_ lines: [String: Int]) {
        self.lines = lines
    }

    /// The line of `path`, or of its nearest written ancestor when the key itself took its default
    /// (an omitted `secret_env` is found at its `jwt:`); nil when nothing on the way was written.
    public func line(of path: String) -> Int? {
        var path = Substring(path)
        while !path.isEmpty {
            if let line = lines[String(path)] {
                return line
            }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            path = path[..<cut]
        }
        return nil
    }

    public static func == (lhs: ConfigKeyLines, rhs: ConfigKeyLines) -> Bool {
        true
    }
}
