// UpstreamConfig+Reading: reads and checks the `upstream:` section.

extension UpstreamConfig {
    static let keys = ["servers", "connect_timeout", "response_timeout", "max_idle_connections", "keepalive_timeout", "resolve_interval"]

    /// The shortest `resolve_interval` other than 0: a lookup every few milliseconds would load
    /// the DNS servers for no benefit (a record's TTL is seconds at least).
    static let shortestResolveInterval = Duration.milliseconds(100)

    /// What `upstream.servers` must hold, for the issue saying it is missing.
    static let serversHint = "list at least one origin, e.g. servers: [\"http://127.0.0.1:3000\"]"

    init(reading section: ConfigMapping) {
        self.init(servers: [])
        if let node = section.required("servers", UpstreamConfig.serversHint), let items = node.list() {
            if items.isEmpty {
                node.report("needs at least one server, e.g. [\"http://127.0.0.1:3000\"]")
            }
            var seen: [UpstreamServerAddress: String] = [:]
            for item in items {
                guard let server = item.parse("an http://host:port URL", UpstreamServerAddress.init(configText:)) else { continue }
                if let first = seen[server] {
                    item.report("\(server) is already listed as \(first)")
                    continue
                }
                seen[server] = item.path
                servers.append(server)
            }
        }
        if let value = section["connect_timeout"]?.duration(positive: true) { connectTimeout = value }
        if let value = section["response_timeout"]?.duration(positive: true) { responseTimeout = value }
        if let value = section["max_idle_connections"]?.integer(in: 0...Int.max) { maxIdleConnections = value }
        if let value = section["keepalive_timeout"]?.duration() { keepaliveTimeout = value }
        if let node = section["resolve_interval"], let value = node.duration() {
            if value != .zero && value < UpstreamConfig.shortestResolveInterval {
                node.report("must be 0s (resolve only at start and reload) or at least "
                    + "\(DurationSyntax.format(UpstreamConfig.shortestResolveInterval)), got \(node.scalarText ?? "")")
            } else {
                resolveInterval = value
            }
        }
    }
}
