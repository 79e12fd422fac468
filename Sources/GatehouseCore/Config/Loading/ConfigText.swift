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
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// `a`, `a or b`, `a, b or c`.
    static func alternatives(_ words: [String]) -> String {
        guard let last = words.last else { return "" }
        let head = words.dropLast()
        return head.isEmpty ? last : head.joined(separator: ", ") + " or " + last
    }
}
