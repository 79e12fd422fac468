// ConfigNode: one value of the YAML tree with its key path and line, read into typed values.

import Yams

/// A value in the config tree, with the key path and line that issues about it carry.
///
/// Every reader reports what is wrong and returns nil, so one pass finds every problem. Scalars are
/// read by their text as written, never by YAML 1.1's guess at a type: `off` stays the word "off".
struct ConfigNode {
    let node: Node
    let path: String
    /// The line of the key this value belongs to (or of the list item), where issues point.
    let line: Int?
    let reader: ConfigReader

    func report(_ message: String) {
        reader.report(message, path: path, line: line)
    }

    /// True for an empty value, `~` or `null` written without quotes.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The scalar's text, or nil for a map or a list (nothing reported).
    var scalarText: String? {
        if case .scalar(let scalar) = node { return scalar.string }
        return nil
    }

    /// "a map", "a list", or the quoted text: for `expected X, got Y`.
    var kindDescription: String {
        switch node {
        case .mapping: return "a map"
        case .sequence: return "a list"
        case .scalar(let scalar): return isNull ? "nothing" : ConfigText.quoted(scalar.string)
        case .alias: return "an alias"
        }
    }

    /// The text of a scalar; a map, a list or nothing is reported as not being `expected`.
    func text(_ expected: String) -> String? {
        guard let text = scalarText, !isNull else {
            report("expected \(expected), got \(kindDescription)")
            return nil
        }
        return text
    }

    /// The text turned into a value by `parse`, whose complaint is reported as it is.
    func parse<Value>(_ expected: String, _ parse: (String) throws(InvalidValue) -> Value) -> Value? {
        guard let text = text(expected) else { return nil }
        do {
            return try parse(text)
        } catch {
            report(error.message)
            return nil
        }
    }

    /// A whole number within `range`; `_` may group digits (`1_000_000`).
    func integer(in range: ClosedRange<Int>) -> Int? {
        guard let text = text("a whole number") else { return nil }
        let digits = text.filter { $0 != "_" }
        let unsigned = digits.hasPrefix("-") || digits.hasPrefix("+") ? digits.dropFirst() : Substring(digits)
        guard !unsigned.isEmpty, unsigned.allSatisfy({ $0.isASCII && $0.isNumber }), !text.hasPrefix("_") else {
            report("expected a whole number, got \(ConfigText.quoted(text))")
            return nil
        }
        guard let value = Int(digits) else {
            report("\(text) is too large")
            return nil
        }
        guard range.contains(value) else {
            report("must be \(ConfigNode.describe(range, format: String.init)), got \(text)")
            return nil
        }
        return value
    }

    /// A size with a unit (`512KiB`) within `range`.
    func size(in range: ClosedRange<Int>) -> Int? {
        guard let bytes = parse("a size such as \"512KiB\"", ByteSizeSyntax.parse) else { return nil }
        guard range.contains(bytes) else {
            report("must be \(ConfigNode.describe(range, format: ByteSizeSyntax.format)), got \(scalarText ?? "")")
            return nil
        }
        return bytes
    }

    /// A duration with a unit (`30s`), at least `minimum`, or more than zero when `positive`,
    /// and at most `maximum` (by default `DurationSyntax.longest`, which keeps the sums and
    /// multiples the proxy makes of a duration far from overflowing).
    func duration(positive: Bool = false, minimum: Duration = .zero, maximum: Duration = DurationSyntax.longest) -> Duration? {
        guard let duration = parse("a duration such as \"30s\"", DurationSyntax.parse) else { return nil }
        if positive && duration == .zero {
            report("must be more than 0s")
            return nil
        }
        if duration < minimum {
            report("must be at least \(DurationSyntax.format(minimum)), got \(scalarText ?? "")")
            return nil
        }
        if duration > maximum {
            report("must be at most \(DurationSyntax.format(maximum)), got \(scalarText ?? "")")
            return nil
        }
        return duration
    }

    /// `true`/`false`; `yes`/`no`/`on`/`off` too, since the key can only mean a boolean.
    func bool() -> Bool? {
        guard let text = text("true or false") else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report("expected true or false, got \(ConfigText.quoted(text))")
            return nil
        }
    }

    /// One of the words `options` are spelt as (their raw values, lower-case when `ignoringCase`:
    /// for words that name something case-insensitive, such as a header field).
    func choice<Option: RawRepresentable>(_ options: [Option], ignoringCase: Bool = false) -> Option? where Option.RawValue == String {
        let words = options.map(\.rawValue)
        guard let text = text(ConfigText.alternatives(words)) else { return nil }
        let written = ignoringCase ? text.lowercased() : text
        if let option = options.first(where: { $0.rawValue == written }) { return option }
        var message = "expected \(ConfigText.alternatives(words)), got \(ConfigText.quoted(text))"
        if let suggestion = KeySuggester.closest(to: text, among: words) {
            message += "; did you mean \(ConfigText.quoted(suggestion))?"
        }
        report(message)
        return nil
    }

    /// The items of a list, each with its `path[index]`; nothing written counts as an empty list.
    func list() -> [ConfigNode]? {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else {
            report("expected a list, got \(kindDescription)")
            return nil
        }
        return sequence.enumerated().map { index, item in
            let itemPath = "\(path)[\(index)]"
            let itemLine = item.mark?.line ?? line
            reader.noteLine(itemLine, for: itemPath)
            return ConfigNode(node: item, path: itemPath, line: itemLine, reader: reader)
        }
    }

    /// The value as a map whose keys must be among `keys`; nothing written counts as an empty map.
    func mapping(keys: [String], hints: [String: String] = [:]) -> ConfigMapping? {
        if isNull {
            return ConfigMapping(path: path, line: line, reader: reader)
        }
        guard case .mapping(let mapping) = node else {
            report("expected a map, got \(kindDescription)")
            return nil
        }
        return ConfigMapping(mapping, path: path, line: line, reader: reader, keys: keys, hints: hints)
    }

    /// "between 1 and 1024", "at least 1": ranges as a message says them.
    private static func describe(_ range: ClosedRange<Int>, format: (Int) -> String) -> String {
        range.upperBound == Int.max
            ? "at least \(format(range.lowerBound))"
            : "between \(format(range.lowerBound)) and \(format(range.upperBound))"
    }
}
