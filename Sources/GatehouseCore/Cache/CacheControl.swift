// CacheControl: the Cache-Control directives (RFC 9111 §5.2, RFC 5861) a shared cache acts on.
import NIOHTTP1

/// Directives parsed from every `Cache-Control` field line of a request or a response.
/// Qualified `private="…"` and `no-cache="…"` are treated as their unqualified forms, the
/// conservative reading RFC 9111 allows. For a repeated directive the first occurrence wins; an
/// invalid `max-age`/`s-maxage` value counts as 0 (stale), as RFC 9111 §4.2.1 encourages.
public struct CacheControl: Sendable, Equatable {
    public var noStore = false
    public var noCache = false
    public var isPrivate = false
    public var isPublic = false
    public var mustRevalidate = false
    public var proxyRevalidate = false
    public var maxAge: Int64?
    public var sMaxAge: Int64?
    /// RFC 5861 extensions.
    public var staleWhileRevalidate: Int64?
    public var staleIfError: Int64?

    /// The largest delta-seconds a cache needs to represent (RFC 9111 §1.2.2).
    public static let deltaSecondsLimit: Int64 = 2_147_483_648

    public init() {}

    /// Parses every `Cache-Control` line of `headers`.
    public init(headers: HTTPHeaders) {
        for line in headers[canonicalForm: "cache-control"] {
            parse(line)
        }
    }

    /// Parses one field value.
    public init(parsing value: some StringProtocol) {
        parse(value)
    }

    /// A delta-seconds value (digits only), clamped to `deltaSecondsLimit`; nil when invalid.
    public static func deltaSeconds(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = min(value * 10 + Int64(byte - UInt8(ascii: "0")), deltaSecondsLimit)
        }
        return value
    }

    private mutating func parse(_ value: some StringProtocol) {
        let bytes = Array(value.utf8)
        var index = 0
        while index < bytes.count {
            while index < bytes.count, Self.isSeparator(bytes[index]) { index += 1 }
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), !Self.isSeparator(bytes[index]) { index += 1 }
            guard index > nameStart else {
                while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
                continue
            }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).lowercased()
            var argument: String?
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                index += 1
                argument = Self.readArgument(bytes, &index)
            }
            apply(name, argument)
            // Skip whatever junk follows up to the next directive.
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
        }
    }

    private mutating func apply(_ name: String, _ argument: String?) {
        switch name {
        case "no-store": noStore = true
        case "no-cache": noCache = true
        case "private": isPrivate = true
        case "public": isPublic = true
        case "must-revalidate": mustRevalidate = true
        case "proxy-revalidate": proxyRevalidate = true
        case "max-age":
            if maxAge == nil { maxAge = argument.flatMap(Self.deltaSeconds) ?? 0 }
        case "s-maxage":
            if sMaxAge == nil { sMaxAge = argument.flatMap(Self.deltaSeconds) ?? 0 }
        case "stale-while-revalidate":
            if staleWhileRevalidate == nil { staleWhileRevalidate = argument.flatMap(Self.deltaSeconds) }
        case "stale-if-error":
            if staleIfError == nil { staleIfError = argument.flatMap(Self.deltaSeconds) }
        default:
            break
        }
    }

    /// A token or a quoted-string (recipients should accept `max-age="5"`).
    private static func readArgument(_ bytes: [UInt8], _ index: inout Int) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            let start = index
            while index < bytes.count, !isSeparator(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        index += 1
        var unquoted: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                index += 1
            }
            unquoted.append(bytes[index])
            index += 1
        }
        index += 1
        return String(decoding: unquoted, as: UTF8.self)
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
