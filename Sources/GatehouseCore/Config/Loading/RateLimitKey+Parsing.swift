// RateLimitKey+Parsing: reads a policy's `key` (ip | user | header:NAME).

extension RateLimitKey {
    init(configText text: String) throws(InvalidValue) {
        switch text {
        case "ip":
            self = .ip
        case "user":
            self = .user
        default:
            guard text.lowercased().hasPrefix("header:") else {
                var message = "expected ip, user or header:NAME, got \(ConfigText.quoted(text))"
                if let suggestion = KeySuggester.closest(to: text, among: ["ip", "user"]) {
                    message += "; did you mean \(ConfigText.quoted(suggestion))?"
                }
                throw InvalidValue(message)
            }
            let name = String(text.dropFirst("header:".count))
            guard CharacterRules.isToken(name) else {
                throw InvalidValue("\(ConfigText.quoted(text)) needs a valid header name after \"header:\", e.g. \"header:X-Tenant\"")
            }
            self = .header(name)
        }
    }
}
