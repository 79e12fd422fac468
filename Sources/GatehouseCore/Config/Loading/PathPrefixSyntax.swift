// PathPrefixSyntax: checks the request-path prefixes that policies and cache rules match on.

/// A prefix of a request path: starts with "/", no spaces, no query, and in normal form.
enum PathPrefixSyntax {
    static func parse(_ text: String) throws(InvalidValue) -> String {
        guard text.hasPrefix("/") else {
            throw InvalidValue("\(ConfigText.quoted(text)) must start with \"/\"")
        }
        guard !CharacterRules.hasWhitespaceOrControl(text), !text.contains("?"), !text.contains("#") else {
            throw InvalidValue("\(ConfigText.quoted(text)) must be a path only: no spaces, \"?\" or \"#\"")
        }
        if let normal = normalForm(of: text), normal != text {
            throw InvalidValue(
                "\(ConfigText.quoted(text)) never matches: request paths are normalised before matching; write \(ConfigText.quoted(normal))"
            )
        }
        return text
    }

    /// What `prefix` becomes when normalised as request paths are. A prefix may stop inside a
    /// segment (`/api/.` covers `/api/.well-known`, `/api/v` covers `/api/v2`), so it is normalised
    /// as the start of a longer path, with a byte after it that no rule touches; nil when that
    /// byte did not survive (cannot happen, but nothing is assumed).
    private static func normalForm(of prefix: String) -> String? {
        let longer = NormalizedPath(prefix + "x").value
        guard longer.hasSuffix("x") else { return nil }
        return String(longer.dropLast())
    }
}
