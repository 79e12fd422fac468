// JWTConfig+Reading: reads and checks the `identity.jwt:` section.

extension JWTConfig {
    static let keys = ["secret_env", "public_key_file", "claim", "leeway"]

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
            claim = node.parse("a claim name") { text throws(InvalidValue) in
                guard !text.isEmpty else { throw InvalidValue("must not be empty") }
                return text
            } ?? claim
        }
        if let value = section["leeway"]?.duration() { leeway = value }
    }
}
