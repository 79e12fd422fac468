// RequestMatch+Reading: reads and checks a policy's `match:` (path prefix and methods).

extension RequestMatch {
    static let keys = ["path_prefix", "methods"]

    init(reading section: ConfigMapping) {
        self.init()
        if let node = section["path_prefix"] {
            pathPrefix = node.parse("a path starting with \"/\"", PathPrefixSyntax.parse)
        }
        if let node = section["methods"], let items = node.list() {
            if items.isEmpty {
                node.report("needs at least one method; leave methods out to match every method")
            }
            let methods = items.compactMap { item in
                item.parse("an HTTP method") { text throws(InvalidValue) in
                    guard CharacterRules.isToken(text), text == text.uppercased() else {
                        throw InvalidValue("\(ConfigText.quoted(text)) is not an upper-case HTTP method, e.g. \"GET\"")
                    }
                    return text
                }
            }
            if !items.isEmpty { self.methods = methods }
        }
    }
}
