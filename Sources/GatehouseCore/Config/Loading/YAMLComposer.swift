// YAMLComposer: turns config text into a Yams node tree, keeping going past duplicate keys.

import Yams

/// Composes YAML into nodes that carry their lines.
///
/// Yams refuses a whole document when a map repeats a key. To still report every other problem,
/// the composer renames the earlier occurrence in the text (adding a marker in front of it, which
/// moves no line) and composes again; `ConfigMapping` recognises the marker and reports the
/// duplicate at its own line.
enum YAMLComposer {
    enum Outcome {
        /// The document's root; nil for an empty file.
        case document(Node?)
        /// The text is not YAML; nothing else can be checked.
        case syntaxError(line: Int?, message: String)
    }

    private static let marker = "gatehouse-duplicate-key-"
    /// Each pass renames one occurrence; a file with more repeats than this is not worth reading on.
    private static let maximumRenames = 200

    static func compose(_ yaml: String) -> Outcome {
        // Before Yams sees it: composing is where an alias bomb would explode.
        if let excess = YAMLAliasBudget.excess(in: yaml) {
            return .syntaxError(line: excess.line, message: excess.message)
        }
        var text = yaml
        // Lines where a key was renamed: an error there afterwards is the renaming's fault.
        var renamedLines: [Int: [String]] = [:]
        for renamed in 0...maximumRenames {
            do {
                return .document(try Yams.compose(yaml: text))
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let mark = context.mark
                guard renamed < maximumRenames,
                      let renamedText = insert("\(marker)\(renamed)-", into: text, at: mark) else {
                    return .syntaxError(line: mark.line, message: duplicateMessage(duplicates))
                }
                renamedLines[mark.line] = duplicates
                text = renamedText
            } catch {
                let outcome = syntaxError(error, yaml: text)
                if case .syntaxError(let line?, _) = outcome, let duplicates = renamedLines[line] {
                    return .syntaxError(line: line, message: duplicateMessage(duplicates))
                }
                return outcome
            }
        }
        return .syntaxError(line: nil, message: "too many duplicate keys")
    }

    /// The key as written in the file, without the marker a duplicate was renamed with.
    static func writtenKey(_ key: String) -> String {
        guard key.hasPrefix(marker) else { return key }
        var rest = key.dropFirst(marker.count).drop(while: { $0.isASCII && $0.isNumber })
        guard rest.first == "-" else { return key }
        rest = rest.dropFirst()
        // A quoted key renamed in the text keeps its quotes as characters; they were not part of it.
        if rest.count >= 2, let first = rest.first, first == "\"" || first == "'", rest.last == first {
            rest = rest.dropFirst().dropLast()
        }
        return String(rest)
    }

    private static func duplicateMessage(_ keys: [String]) -> String {
        "duplicate key \(keys.map { ConfigText.quoted($0) }.joined(separator: ", "))"
    }

    /// `text` with `insertion` placed at a libyaml mark (1-based line, column in Unicode scalars).
    private static func insert(_ insertion: String, into text: String, at mark: Mark) -> String? {
        var scalars = Array(text.unicodeScalars)
        var line = 1
        var column = 1
        var index = 0
        while index < scalars.count && !(line == mark.line && column == mark.column) {
            let scalar = scalars[index]
            index += 1
            // libyaml's line breaks: CR LF, CR, LF, NEL, LS, PS.
            if scalar == "\r" && index < scalars.count && scalars[index] == "\n" { continue }
            if ["\r", "\n", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        guard line == mark.line, column == mark.column, index < scalars.count else { return nil }
        scalars.insert(contentsOf: insertion.unicodeScalars, at: index)
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    private static func syntaxError(_ error: any Error, yaml: String) -> Outcome {
        guard let yamlError = error as? YamlError else {
            return .syntaxError(line: nil, message: "cannot read the YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if problem == "but found another document" {
                return .syntaxError(line: mark.line, message: "YAML syntax error: a config file holds one document; remove the second \"---\"")
            }
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text), from line \(context.mark.line))"
            }
            return .syntaxError(line: mark.line, message: message)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in 1 + yaml.prefix(offset).filter(\.isNewline).count }
            return .syntaxError(line: line, message: "YAML syntax error: \(problem)")
        default:
            return .syntaxError(line: nil, message: "cannot read the YAML: \(yamlError)")
        }
    }
}
