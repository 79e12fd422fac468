// ConfigText: how config values are quoted and listed inside issue messages.

/// Shared wording for issue messages, so every check quotes and lists the same way.
enum ConfigText {
    /// `"text"`, with quotes and control characters escaped so the issue stays one line.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if isEscaped(scalar) {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// True when `quoted` would escape something in `text`.
    static func needsEscaping(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isEscaped)
    }

    /// Control characters and every line break Unicode knows (NEL, LS and PS too), so an issue
    /// stays one line for whatever splits it.
    private static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || [0x85, 0x2028, 0x2029].contains(scalar.value)
    }

    /// `a`, `a or b`, `a, b or c`.
    static func alternatives(_ words: [String]) -> String {
        guard let last = words.last else { return "" }
        let head = words.dropLast()
        return head.isEmpty ? last : head.joined(separator: ", ") + " or " + last
    }
}
