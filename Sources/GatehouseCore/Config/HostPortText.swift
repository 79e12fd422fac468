// HostPortText: how a host and port are written, with IPv6 literals in brackets.

enum HostPortText {
    /// `host:port`, or `[v6]:port` for an IPv6 literal.
    static func format(host: String, port: Int) -> String {
        host.contains(":" as Character) ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
