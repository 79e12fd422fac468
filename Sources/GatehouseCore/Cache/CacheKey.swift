// CacheKey: the key one stored response lives under — primary key plus the request's Vary values.
import NIOHTTP1

/// The second-level key. For a response without `Vary` it equals the primary key, so the
/// common case costs one lookup. Field values are length-prefixed, so no value can forge
/// another's key, and an absent header is distinguished from an empty one.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    public let primary: CachePrimaryKey
    /// Normalised `Vary` names (lower-case, sorted, unique); empty without `Vary`.
    public let varyNames: [String]
    /// The store key.
    public let value: String

    /// The key of the variant of `primary` that `requestHeaders` select.
    public init(primary: CachePrimaryKey, varyNames: [String], requestHeaders: HTTPHeaders) {
        self.primary = primary
        self.varyNames = varyNames
        guard !varyNames.isEmpty else {
            self.value = primary.value
            return
        }
        var value = primary.value + "v"
        for name in varyNames {
            CacheKeyBuilder.appendField(name, to: &value)
            if let selected = Self.selectingValue(of: name, in: requestHeaders) {
                value += "="
                CacheKeyBuilder.appendField(Self.keyed(selected, of: name), to: &value)
            } else {
                value += "-"
            }
        }
        self.value = value
    }

    /// The URL key, for purging.
    public var url: CacheURLKey { primary.url }

    public var description: String { value }

    /// The names of a response's `Vary` field, normalised; nil for `Vary: *`.
    public static func varyNames(of headers: HTTPHeaders) -> [String]? {
        var names: Set<String> = []
        for line in headers[canonicalForm: "vary"] {
            let name = line.trimmingOWS().lowercased()
            guard !name.isEmpty else { continue }
            guard name != "*" else { return nil }
            names.insert(name)
        }
        return names.sorted()
    }

    /// Fields that carry credentials (`X-API-Key` is `identity.api_key_header`'s default).
    static let credentialFields: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "x-api-key",
    ]

    /// What of `value` the key holds: a digest for a credential field, else the value itself. An
    /// origin answering `Vary: Authorization` (or `Cookie`, or an API-key header) with a public
    /// response would otherwise write credentials into store keys, which a Redis `SCAN` or
    /// `MONITOR` shows to anyone with access to it. 128 bits of SHA-256: no two values meet.
    /// Other fields stay as they are: this runs on every hit of a varying URL, inside the
    /// memory store's lock, where a digest of every `User-Agent` would cost.
    static func keyed(_ value: String, of name: String) -> String {
        credentialFields.contains(name) ? APIKeyDigest.prefixedDigest(of: value, prefix: "#") : value
    }

    /// The request's field lines for `name`, each trimmed, joined as one list; nil when absent.
    static func selectingValue(of name: String, in headers: HTTPHeaders) -> String? {
        let lines = headers[name]
        guard !lines.isEmpty else { return nil }
        return lines.map { $0.trimmingOWS() }.joined(separator: ", ")
    }
}
