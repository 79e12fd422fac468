// IdentityConfig+Reading: reads and checks the `identity:` section.

extension IdentityConfig {
    static let keys = ["api_key_header", "user_header", "jwt"]

    init(reading section: ConfigMapping) {
        self.init()
        if let node = section["api_key_header"] { apiKeyHeader = IdentityConfig.readHeaderName(node) }
        if let node = section["user_header"] { userHeader = IdentityConfig.readHeaderName(node) }
        if let apiKeyHeader, let userHeader, apiKeyHeader.lowercased() == userHeader.lowercased() {
            section.reader.report(
                "\(ConfigText.quoted(userHeader)) is also identity.api_key_header; one header cannot be both a key and a user name",
                about: section.childPath("user_header")
            )
        }
        if let node = section["jwt"], !node.isNull, node.scalarText != "off",
           let jwtSection = node.mapping(keys: JWTConfig.keys) {
            jwt = JWTConfig(reading: jwtSection)
        }
    }

    /// True when some request can carry a user at all.
    var canIdentifyUsers: Bool {
        apiKeyHeader != nil || userHeader != nil || jwt != nil
    }

    /// A header name, or `off` / nothing to turn the feature off.
    private static func readHeaderName(_ node: ConfigNode) -> String? {
        if node.isNull || node.scalarText == "off" { return nil }
        return node.parse("a header name or off") { text throws(InvalidValue) in
            guard CharacterRules.isToken(text) else {
                throw InvalidValue("\(ConfigText.quoted(text)) is not a valid header name")
            }
            return text
        }
    }
}
