// HostPortSyntax: reads the `host:port` part shared by listen addresses and upstream/Redis URLs.

/// `host:port`, `[v6]:port`, or a bare host when a default port applies.
enum HostPortSyntax {
    /// - Parameters:
    ///   - authority: the `host:port` text.
    ///   - whole: the full value, quoted in messages.
    ///   - defaultPort: used when no port is written; nil makes the port required.
    ///   - ports: the allowed port numbers.
    ///   - example: a correct value to show when the port is missing.
    static func parse(
        _ authority: Substring,
        in whole: String,
        defaultPort: Int?,
        ports: ClosedRange<Int>,
        example: String
    ) throws(InvalidValue) -> (host: String, port: Int) {
        let quoted = ConfigText.quoted(whole)
        let host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw InvalidValue("\(quoted) has an unclosed \"[\"")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else {
                    throw InvalidValue("\(quoted) has \(ConfigText.quoted(String(rest))) after \"]\"; expected \":port\"")
                }
                portText = rest.dropFirst()
            }
            guard let address = IPAddress(parsingWithoutMapping: String(host)), !address.isIPv4 else {
                throw InvalidValue("\(quoted) has an invalid IPv6 address \(ConfigText.quoted(String(host)))")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
            if host.contains(":") {
                throw InvalidValue("\(quoted): write IPv6 addresses in brackets, e.g. \"[::1]:8080\"")
            }
        } else {
            host = authority
        }
        guard !host.isEmpty else {
            throw InvalidValue("\(quoted) needs a host, e.g. \(ConfigText.quoted(example))")
        }
        if !authority.hasPrefix("[") {
            try checkHostName(host, in: quoted)
        }
        guard let portText else {
            guard let defaultPort else {
                throw InvalidValue("\(quoted) needs a port, e.g. \(ConfigText.quoted(example))")
            }
            return (String(host), defaultPort)
        }
        guard !portText.isEmpty, portText.count <= 6, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText) else {
            throw InvalidValue("\(quoted) has an invalid port \(ConfigText.quoted(String(portText)))")
        }
        guard ports.contains(port) else {
            throw InvalidValue("\(quoted) has port \(port); ports go from \(ports.lowerBound) to \(ports.upperBound)")
        }
        return (String(host), port)
    }

    /// An IPv4 literal or a DNS name: labels of letters, digits and inner hyphens.
    private static func checkHostName(_ host: Substring, in quoted: String) throws(InvalidValue) {
        let invalid = InvalidValue("\(quoted) has an invalid host \(ConfigText.quoted(String(host)))")
        if host.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
            guard IPAddress(parsingWithoutMapping: String(host)) != nil else { throw invalid }
            return
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            // A trailing dot (fully qualified name) leaves one empty label at the end.
            if label.isEmpty && index == labels.count - 1 && index > 0 { continue }
            guard !label.isEmpty, label.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-"),
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw invalid
            }
        }
    }
}
