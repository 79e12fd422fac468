// ConfigMapping: a YAML map of settings, checked for unknown and duplicate keys as it is opened.

import Yams

/// The keys of one config section. Opening it reports unknown keys (with the closest known one as a
/// suggestion) and keys written twice; reading a key hands back its value with path and line.
struct ConfigMapping {
    let path: String
    /// The line of the key that holds this map, or of the list item; nil for the file's root.
    let line: Int?
    let reader: ConfigReader
    private var values: [String: ConfigNode] = [:]

    /// An empty section: every key takes its default.
    init(path: String, line: Int?, reader: ConfigReader) {
        self.path = path
        self.line = line
        self.reader = reader
    }

    /// - Parameter hints: unknown keys that belong elsewhere, e.g. `listen` → `server.listen`.
    init(_ mapping: Node.Mapping, path: String, line: Int?, reader: ConfigReader, keys: [String], hints: [String: String]) {
        self.init(path: path, line: line, reader: reader)
        var firstLines: [String: Int?] = [:]
        for (keyNode, valueNode) in mapping {
            let keyLine = keyNode.mark?.line
            guard case .scalar(let scalar) = keyNode else {
                reader.report("keys must be plain words, not \(keyNode.sequence == nil ? "a map" : "a list")", path: path, line: keyLine)
                continue
            }
            let key = YAMLComposer.writtenKey(scalar.string)
            let keyPath = childPath(key)
            if let firstLine = firstLines[key] {
                let first = firstLine.map { " (first set on line \($0))" } ?? ""
                reader.report("duplicate key\(first)", path: keyPath, line: keyLine)
                continue
            }
            firstLines[key] = keyLine
            guard keys.contains(key) else {
                reader.report(ConfigMapping.unknownKeyMessage(key, keys: keys, hints: hints), path: keyPath, line: keyLine)
                continue
            }
            reader.noteLine(keyLine, for: keyPath)
            values[key] = ConfigNode(node: valueNode, path: keyPath, line: keyLine, reader: reader)
        }
    }

    /// The value written for `key`, or nil when the key is absent (so it takes its default).
    /// A value written as nothing (`key:`) is returned, for the caller to decide what it means.
    subscript(key: String) -> ConfigNode? {
        values[key]
    }

    /// The value of a key that has no default; its absence is reported.
    func required(_ key: String, _ hint: String) -> ConfigNode? {
        guard let value = values[key] else {
            reader.report("is required; \(hint)", path: childPath(key), line: line)
            return nil
        }
        return value
    }

    func childPath(_ key: String) -> String {
        // A key as written may hold line breaks (`"a\nb": 1`); quoted, its issue stays one line
        // (FuzzConfigLoader).
        let shown = ConfigText.needsEscaping(key) ? ConfigText.quoted(key) : key
        return path.isEmpty ? shown : "\(path).\(shown)"
    }

    private static func unknownKeyMessage(_ key: String, keys: [String], hints: [String: String]) -> String {
        if key == "<<" {
            return "YAML merge keys are not supported; write the keys out"
        }
        if let hint = hints[key] {
            return "unknown key; did you mean \(ConfigText.quoted(hint))?"
        }
        if let suggestion = KeySuggester.closest(to: key, among: keys) {
            return "unknown key; did you mean \(ConfigText.quoted(suggestion))?"
        }
        return "unknown key; expected one of \(keys.joined(separator: ", "))"
    }
}
