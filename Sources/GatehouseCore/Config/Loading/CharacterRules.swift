// CharacterRules: which characters config names may use (header tokens, policy names, env vars).

/// Character-level rules for names the config refers to things by.
enum CharacterRules {
    /// An HTTP token (RFC 9110 §5.6.2), the syntax of header names and methods.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (isAlphanumeric(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
        }
    }

    /// `[A-Za-z0-9_.-]+`: policy and namespace names, which end up in headers, metrics and keys.
    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { isAlphanumeric($0) || "_.-".unicodeScalars.contains($0) }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, a portable environment variable name.
    static func isEnvironmentVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || isLetter(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || isAlphanumeric($0) }
    }

    /// True when the text has a space, tab, line break or other control character.
    static func hasWhitespaceOrControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || $0.properties.isWhitespace }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        isLetter(scalar) || ("0"..."9").contains(scalar)
    }
}
