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
        // Each line whole (the parser reads comma-separated lists itself, quoted commas included):
        // splitting with `[canonicalForm:]` allocated per directive on every response.
        for (name, value) in headers where FieldName.equals(name, "cache-control") {
            parse(value)
        }
    }

    /// Parses one field value.
    public init(parsing value: some StringProtocol) {
        parse(String(value))
    }

    /// A delta-seconds value (digits only), clamped to `deltaSecondsLimit`; nil when invalid.
    public static func deltaSeconds(_ text: some StringProtocol) -> Int64? {
        var seconds = DeltaSeconds()
        for byte in text.utf8 {
            seconds.append(byte)
        }
        return seconds.value
    }

    /// Adds the directives of one field line.
    mutating func parse(_ value: String) {
        value.withUTF8Bytes { parse($0) }
    }

    /// Reads directives from the bytes without making Strings of them: this runs for every
    /// response the cache looks at.
    private mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        while index < bytes.count {
            while index < bytes.count, Self.isSeparator(bytes[index]) { index += 1 }
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), !Self.isSeparator(bytes[index]) { index += 1 }
            guard index > nameStart else {
                while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
                continue
            }
            let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<index])
            var argument: DeltaSeconds?
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                index += 1
                argument = Self.readArgument(bytes, &index)
            }
            apply(name, argument?.value)
            // Skip whatever junk follows up to the next directive.
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
        }
    }

    private mutating func apply(_ name: UnsafeBufferPointer<UInt8>, _ argument: Int64?) {
        switch name.count {
        case 6 where FieldName.equals(name, "public"): isPublic = true
        case 7 where FieldName.equals(name, "max-age"):
            if maxAge == nil { maxAge = argument ?? 0 }
        case 7 where FieldName.equals(name, "private"): isPrivate = true
        case 8 where FieldName.equals(name, "no-store"): noStore = true
        case 8 where FieldName.equals(name, "no-cache"): noCache = true
        case 8 where FieldName.equals(name, "s-maxage"):
            if sMaxAge == nil { sMaxAge = argument ?? 0 }
        case 14 where FieldName.equals(name, "stale-if-error"):
            if staleIfError == nil { staleIfError = argument }
        case 15 where FieldName.equals(name, "must-revalidate"): mustRevalidate = true
        case 16 where FieldName.equals(name, "proxy-revalidate"): proxyRevalidate = true
        case 22 where FieldName.equals(name, "stale-while-revalidate"):
            if staleWhileRevalidate == nil { staleWhileRevalidate = argument }
        default:
            break
        }
    }

    /// A directive's argument as delta-seconds: digits only, clamped; `value` nil when invalid.
    private struct DeltaSeconds {
        private var number: Int64 = 0
        private var digits = 0
        private var invalid = false

        mutating func append(_ byte: UInt8) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                invalid = true
                return
            }
            digits += 1
            number = min(number * 10 + Int64(byte - UInt8(ascii: "0")), CacheControl.deltaSecondsLimit)
        }

        var value: Int64? { invalid || digits == 0 ? nil : number }
    }

    /// A token or a quoted-string (recipients should accept `max-age="5"`).
    private static func readArgument(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> DeltaSeconds {
        var argument = DeltaSeconds()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            while index < bytes.count, !isSeparator(bytes[index]) {
                argument.append(bytes[index])
                index += 1
            }
            return argument
        }
        index += 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                index += 1
            }
            argument.append(bytes[index])
            index += 1
        }
        index += 1
        return argument
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
