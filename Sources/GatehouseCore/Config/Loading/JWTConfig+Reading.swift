// JWTConfig+Reading: reads and checks the `identity.jwt:` section.

import Yams

extension JWTConfig {
    static let keys = ["secret_env", "public_key_file", "claim", "leeway", "issuer", "audience"]

    init(reading section: ConfigMapping) {
        self.init()
        if let node = section["secret_env"] {
            secretEnv = node.parse("an environment variable name") { text throws(InvalidValue) in
                guard CharacterRules.isEnvironmentVariableName(text) else {
                    throw InvalidValue("\(ConfigText.quoted(text)) is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
                }
                return text
            }
        }
        if let node = section["public_key_file"] {
            publicKeyFile = node.text("the path of a PEM file")
        }
        let secretWritten = section["secret_env"] != nil
        let keyFileWritten = section["public_key_file"] != nil
        if secretWritten && keyFileWritten {
            section.reader.report(
                "use either secret_env (HMAC) or public_key_file (RSA/EC), not both",
                about: section.childPath("public_key_file")
            )
        } else if !secretWritten && !keyFileWritten {
            section.reader.report(
                "needs secret_env (HMAC secret) or public_key_file (RSA/EC public key); remove identity.jwt to turn JWTs off",
                path: section.path, line: section.line
            )
        }
        if let node = section["claim"] {
            claim = node.parse("a claim name", JWTConfig.nonEmpty) ?? claim
        }
        if let value = section["leeway"]?.duration() { leeway = value }
        if let node = section["issuer"] {
            issuer = node.parse("an issuer such as \"https://auth.example.com\"", JWTConfig.nonEmpty)
        }
        if let node = section["audience"], let value = JWTConfig.readAudiences(node) {
            audiences = value
        }
    }

    /// One audience or a list of them; a token naming any one of them is for us.
    private static func readAudiences(_ node: ConfigNode) -> [String]? {
        guard case .sequence = node.node else {
            return node.parse("an audience or a list of audiences", nonEmpty).map { [$0] }
        }
        guard let items = node.list() else { return nil }
        guard !items.isEmpty else {
            // An empty list would refuse every token; leaving the key out is what accepts any.
            node.report("needs at least one audience; leave audience out to accept any")
            return nil
        }
        let audiences = items.compactMap { $0.parse("an audience", nonEmpty) }
        return audiences.count == items.count ? audiences : nil
    }

    /// Claim names and values are compared exactly, so only emptiness is refused.
    private static func nonEmpty(_ text: String) throws(InvalidValue) -> String {
        guard !text.isEmpty else { throw InvalidValue("must not be empty") }
        return text
    }
}
