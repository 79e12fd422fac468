// ListenAddress+Parsing: reads `server.listen` / `server.admin_listen` values.

extension ListenAddress {
    /// Parses `host:port` or `[v6]:port`; port 0 asks the system for a free port.
    init(configText text: String) throws(InvalidValue) {
        let (host, port) = try HostPortSyntax.parse(
            Substring(text), in: text, defaultPort: nil, ports: 0...65535, example: "0.0.0.0:8080"
        )
        self.init(host: host, port: port)
    }

    /// True when both listeners would need the same socket: same port (not 0), and the same host or
    /// a wildcard address that covers the other.
    func overlaps(_ other: ListenAddress) -> Bool {
        guard port == other.port, port != 0 else { return false }
        let wildcards = ["0.0.0.0", "::"]
        return host.lowercased() == other.host.lowercased() || wildcards.contains(host) || wildcards.contains(other.host)
    }
}
