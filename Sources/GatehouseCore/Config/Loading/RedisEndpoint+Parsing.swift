// RedisEndpoint+Parsing: reads `redis.url` (`redis://[:password@]host[:port][/db]`, `unix:///path[?db=N]`).

extension RedisEndpoint {
    init(configText text: String) throws(InvalidValue) {
        // Messages go to logs and to `POST /admin/reload`'s answer: never with the password.
        let quoted = ConfigText.quoted(Self.redacted(text))
        let lowercased = text.lowercased()
        if lowercased.hasPrefix("rediss://") {
            throw InvalidValue("TLS (rediss://) is not supported: \(quoted)")
        }
        if lowercased.hasPrefix("unix://") {
            self = try RedisEndpoint.parseUnix(text.dropFirst("unix://".count), quoted: quoted)
        } else if lowercased.hasPrefix("redis://") {
            self = try RedisEndpoint.parseTCP(text.dropFirst("redis://".count), whole: Self.redacted(text), quoted: quoted)
        } else {
            throw InvalidValue("\(quoted) must be redis://[:password@]host[:port][/db] or unix:///path[?db=N]")
        }
    }

    /// `text` with the password of a `redis://:password@host` URL replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = userInfoEnd(text[scheme.upperBound...]) else { return text }
        let userInfo = text[scheme.upperBound..<at]
        let shown = userInfo.hasPrefix(":") ? ":***" : "***"
        return String(text[..<scheme.upperBound]) + shown + String(text[at...])
    }

    /// The `@` that ends the user info: the last one of the URL, since no host, port or database
    /// holds one, while a password may hold `/`, `?` or `#` that were not %-encoded (cutting the
    /// authority at those first would read part of the password as a host, and quote it).
    private static func userInfoEnd(_ rest: Substring) -> Substring.Index? {
        rest.lastIndex(of: "@")
    }

    private static func parseTCP(_ rest: Substring, whole: String, quoted: String) throws(InvalidValue) -> RedisEndpoint {
        var password: String?
        var afterUserInfo = rest
        if let at = userInfoEnd(rest) {
            let userInfo = rest[..<at]
            afterUserInfo = rest[rest.index(after: at)...]
            guard userInfo.hasPrefix(":") else {
                throw InvalidValue("\(quoted): Redis user names are not supported; write the password after a colon, e.g. \"redis://:secret@127.0.0.1:6379\"")
            }
            guard let decoded = percentDecoded(userInfo.dropFirst()) else {
                throw InvalidValue("\(quoted) has a badly %-encoded password")
            }
            password = decoded
        }
        let authorityEnd = afterUserInfo.firstIndex(where: { "/?#".contains($0) }) ?? afterUserInfo.endIndex
        let authority = afterUserInfo[..<authorityEnd]
        let tail = afterUserInfo[authorityEnd...]
        let (host, port) = try HostPortSyntax.parse(
            authority, in: whole, defaultPort: 6379, ports: 1...65535, example: "redis://127.0.0.1:6379/0"
        )
        var database = 0
        if tail.hasPrefix("/") && tail.count > 1 {
            database = try parseDatabase(tail.dropFirst(), quoted: quoted)
        } else if !(tail.isEmpty || tail == "/") {
            throw InvalidValue("\(quoted) has \(ConfigText.quoted(String(tail))) after the host; only a database number may follow, e.g. \"/0\"")
        }
        return RedisEndpoint(transport: .tcp(host: host, port: port), database: database, password: password)
    }

    private static func parseUnix(_ rest: Substring, quoted: String) throws(InvalidValue) -> RedisEndpoint {
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let path = rest[..<queryStart]
        guard path.hasPrefix("/"), path.count > 1 else {
            throw InvalidValue("\(quoted) needs an absolute socket path, e.g. \"unix:///run/redis/redis.sock\"")
        }
        var database = 0
        if queryStart < rest.endIndex {
            let query = rest[rest.index(after: queryStart)...]
            guard query.hasPrefix("db=") else {
                throw InvalidValue("\(quoted) has an unknown parameter; only ?db=N is supported")
            }
            database = try parseDatabase(query.dropFirst(3), quoted: quoted)
        }
        return RedisEndpoint(transport: .unix(path: String(path)), database: database, password: nil)
    }

    private static func parseDatabase(_ text: Substring, quoted: String) throws(InvalidValue) -> Int {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }), let database = Int(text) else {
            throw InvalidValue("\(quoted) has an invalid database number \(ConfigText.quoted(String(text)))")
        }
        return database
    }

    /// Undoes %XX escapes, so passwords may hold `@`, `/` or `:`.
    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = utf8.first.flatMap(HexDigits.value(of:)), let low = utf8.dropFirst().first.flatMap(HexDigits.value(of:)) else {
                return nil
            }
            bytes.append(high << 4 | low)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
