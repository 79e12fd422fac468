// ConfigLoader: turns proxy.conf into a validated GatehouseConfig, or every problem found in it.

/// Reads and validates config files (DESIGN.md §5).
///
/// Nothing stops at the first problem: unknown keys, duplicates, wrong types, bad units, values out
/// of range and impossible combinations are all collected and thrown together as a `ConfigError`,
/// each with its line, so `gatehouse check` can list them and a reload can log them.
public enum ConfigLoader {
    /// Reads and validates the file at `path`; issues name the file as `path` was written.
    public static func load(path: String) throws(ConfigError) -> GatehouseConfig {
        let text: String
        do {
            text = try ConfigFileReader.read(path: path)
        } catch {
            throw ConfigError(issues: [ConfigIssue(file: path, line: nil, path: "", message: error.message)])
        }
        return try parse(yaml: text, file: path)
    }

    /// Validates config text; `file` is only used to name the source in issues.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> GatehouseConfig {
        let reader = ConfigReader(file: file)
        switch YAMLComposer.compose(yaml) {
        case .syntaxError(let line, let message):
            throw ConfigError(issues: [ConfigIssue(file: file, line: line, path: "", message: message)])
        case .document(let root):
            let rootNode = root.map { ConfigNode(node: $0, path: "", line: $0.mark?.line, reader: reader) }
            var config = GatehouseConfig(reading: rootNode, reader: reader)
            config.keyLines = reader.lines
            let issues = reader.issues
            guard issues.isEmpty else { throw ConfigError(issues: issues) }
            return config
        }
    }
}
