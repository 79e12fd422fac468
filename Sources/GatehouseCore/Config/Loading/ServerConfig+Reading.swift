// ServerConfig+Reading: reads and checks the `server:` section.

extension ServerConfig {
    static let keys = [
        "listen", "admin_listen", "admin_token_env", "trusted_proxies", "client_ip_header", "threads", "drain_timeout",
        "read_header_timeout", "idle_timeout", "min_body_rate", "max_header_bytes", "max_body_bytes", "max_connections",
        "access_log",
    ]

    /// nginx's names for keys Gatehouse spells its own way, so an operator's habit finds ours.
    static let hints = ["real_ip_header": "client_ip_header"]

    init(reading section: ConfigMapping) {
        self.init()
        if let value = section["listen"]?.parse("host:port", ListenAddress.init(configText:)) {
            listen = value
        }
        if let value = section["admin_listen"]?.parse("host:port", ListenAddress.init(configText:)) {
            adminListen = value
        }
        if let node = section["admin_token_env"] {
            adminTokenEnv = ServerConfig.readEnvironmentName(node)
        }
        if let items = section["trusted_proxies"]?.list() {
            trustedProxies = items.compactMap { item in
                item.parse("a CIDR block or an address") { text throws(InvalidValue) in
                    guard let network = IPNetwork(parsing: text) else {
                        throw InvalidValue("\(ConfigText.quoted(text)) is not a CIDR block or an IP address, e.g. \"10.0.0.0/8\" or \"::1\"")
                    }
                    return network
                }
            }
        }
        if let value = section["client_ip_header"]?.choice(ClientIPHeader.allCases, ignoringCase: true) {
            clientIPHeader = value
        }
        if let node = section["threads"] {
            if node.scalarText == "auto" {
                threads = nil
            } else if node.scalarText.map({ Int($0.filter { $0 != "_" }) != nil }) ?? false {
                threads = node.integer(in: 1...1024)
            } else {
                node.report("expected auto or a number of threads (1 to 1024), got \(node.kindDescription)")
            }
        }
        if let value = section["drain_timeout"]?.duration(positive: true) { drainTimeout = value }
        if let value = section["read_header_timeout"]?.duration(positive: true) { readHeaderTimeout = value }
        if let value = section["idle_timeout"]?.duration(positive: true) { idleTimeout = value }
        if let value = section["min_body_rate"]?.parse("a rate such as \"1KiB/s\"", ByteRateSyntax.parse) {
            minBodyRate = value
        }
        if let value = section["max_header_bytes"]?.size(in: 1024...1024 * 1024) { maxHeaderBytes = value }
        if let value = section["max_body_bytes"]?.size(in: 0...Int.max) { maxBodyBytes = value }
        if let value = section["max_connections"]?.integer(in: 1...Int.max) { maxConnections = value }
        if let value = section["access_log"]?.parse("stdout, off or a file path", AccessLogDestination.init(configText:)) {
            accessLog = value
        }
        if adminListen.overlaps(listen) {
            // Point at whichever of the two the file sets; it is the one to change.
            let path = section.reader.wasWritten(section.childPath("admin_listen"))
                ? section.childPath("admin_listen") : section.childPath("listen")
            let other = path.hasSuffix("admin_listen") ? "server.listen" : "server.admin_listen"
            let otherAddress = path.hasSuffix("admin_listen") ? listen : adminListen
            section.reader.report(
                "must differ from \(other) (\(otherAddress)); the admin endpoints are never served on the public listener",
                about: path
            )
        }
    }

    /// An environment variable name; `""` or nothing means none.
    private static func readEnvironmentName(_ node: ConfigNode) -> String? {
        if node.isNull || node.scalarText == "" { return nil }
        return node.parse("an environment variable name") { text throws(InvalidValue) in
            guard CharacterRules.isEnvironmentVariableName(text) else {
                throw InvalidValue("\(ConfigText.quoted(text)) is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
            }
            return text
        }
    }
}
