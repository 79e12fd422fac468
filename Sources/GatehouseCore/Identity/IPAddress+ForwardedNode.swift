// IPAddress+ForwardedNode: reads one hop of X-Forwarded-For or a Forwarded `for=` node.

extension IPAddress {
    /// Parses a forwarding node as proxies write them: `1.2.3.4`, `1.2.3.4:8080`, `2001:db8::1`,
    /// `[2001:db8::1]`, `[2001:db8::1]:4711` (surrounding whitespace ignored). nil for anything else,
    /// including RFC 7239's `unknown` and obfuscated `_identifiers`, which name no address.
    public init?(forwardedNode raw: some StringProtocol) {
        let text = raw.trimmingForwardingWhitespace()
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            // After the bracket only a port may follow (RFC 7239 also allows an obfuscated one).
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.count > 1) else { return nil }
            let inner = text[text.index(after: text.startIndex)..<close]
            guard inner.contains(":" as Character), let address = IPAddress(parsing: String(inner)) else { return nil }
            self = address
            return
        }
        let colons = text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ":") ? 1 : 0) }
        if colons == 1 {
            // IPv4 with a port; a bare IPv6 address has at least two colons.
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty, let address = IPAddress(parsing: String(parts[0])), address.isIPv4 else {
                return nil
            }
            self = address
            return
        }
        guard let address = IPAddress(parsing: String(text)) else { return nil }
        self = address
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingForwardingWhitespace() -> SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
