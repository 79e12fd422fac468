// UpstreamServerAddress+Parsing: reads an `upstream.servers` entry (`http://host:port`).

extension UpstreamServerAddress {
    /// Parses `http://host[:port][/]`; the port defaults to 80. Only plain HTTP origins are supported,
    /// and the request path is forwarded as it came, so the URL carries no path of its own.
    init(configText text: String) throws(InvalidValue) {
        let quoted = ConfigText.quoted(text)
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw InvalidValue("\(quoted) needs a scheme, e.g. \(ConfigText.quoted("http://" + text))")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme != "https" else {
            throw InvalidValue("https upstreams are not supported: \(quoted)")
        }
        guard scheme == "http" else {
            throw InvalidValue("\(quoted) must be an http:// URL")
        }
        let afterScheme = text[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { "/?#".contains($0) }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let rest = afterScheme[authorityEnd...]
        guard !authority.contains("@") else {
            throw InvalidValue("\(quoted) must not contain a user or password")
        }
        guard rest.isEmpty || rest == "/" else {
            throw InvalidValue("\(quoted) has a path, query or fragment; an upstream server is only http://host:port")
        }
        let (host, port) = try HostPortSyntax.parse(
            authority, in: text, defaultPort: 80, ports: 1...65535, example: "http://127.0.0.1:3000"
        )
        self.init(host: host, port: port)
    }
}
