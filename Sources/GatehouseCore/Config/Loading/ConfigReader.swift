// ConfigReader: collects the issues found while reading a config file, and where each key was.

/// The shared state of one read of a config file: the issues found so far and the line of every key
/// read, so checks that compare two keys can point at the right line.
final class ConfigReader {
    let file: String
    private var found: [ConfigIssue] = []
    private var keyLines: [String: Int] = [:]

    init(file: String) {
        self.file = file
    }

    /// Every issue, in file order (issues without a line first, as they concern the whole file).
    var issues: [ConfigIssue] {
        // enumerated() keeps issues on one line in the order they were found.
        found.enumerated()
            .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map(\.element)
    }

    func report(_ message: String, path: String, line: Int?) {
        found.append(ConfigIssue(file: file, line: line, path: path, message: message))
    }

    /// Reports at the line where `path` was written, if it was.
    func report(_ message: String, about path: String) {
        report(message, path: path, line: keyLines[path])
    }

    func noteLine(_ line: Int?, for path: String) {
        if let line, keyLines[path] == nil {
            keyLines[path] = line
        }
    }

    /// Every key's line, for problems found once the file is loaded.
    var lines: ConfigKeyLines {
        ConfigKeyLines(keyLines)
    }

    /// True when the file sets `path` (rather than it taking its default).
    func wasWritten(_ path: String) -> Bool {
        keyLines[path] != nil
    }
}
