// PathPrefixSyntax: checks the request-path prefixes that policies and cache rules match on.

/// A prefix of a request path: starts with "/", no spaces, no query.
enum PathPrefixSyntax {
    static func parse(_ text: String) throws(InvalidValue) -> String {
        guard text.hasPrefix("/") else {
            throw InvalidValue("\(ConfigText.quoted(text)) must start with \"/\"")
        }
        guard !CharacterRules.hasWhitespaceOrControl(text), !text.contains("?"), !text.contains("#") else {
            throw InvalidValue("\(ConfigText.quoted(text)) must be a path only: no spaces, \"?\" or \"#\"")
        }
        return text
    }
}
