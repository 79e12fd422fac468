// EntityTag: an ETag value and the weak/strong comparisons of RFC 9110 §8.8.3.2.

/// An entity-tag. Malformed, unquoted tags from sloppy origins are kept as they are, so they
/// still compare equal to themselves.
public struct EntityTag: Hashable, Sendable {
    /// The tag without `W/` and without quotes.
    public var opaque: String
    public var isWeak: Bool

    public init(opaque: String, isWeak: Bool = false) {
        self.opaque = opaque
        self.isWeak = isWeak
    }

    /// One entity-tag, e.g. `"abc"` or `W/"abc"`; nil when empty.
    public init?(parsing text: some StringProtocol) {
        let tags = Self.list(parsing: text)
        guard tags.count == 1, let tag = tags.first else { return nil }
        self = tag
    }

    /// The comma-separated entity-tags of an `If-None-Match` value (a quoted tag may itself
    /// contain commas). `*` is not a tag: callers check for it first.
    public static func list(parsing text: some StringProtocol) -> [EntityTag] {
        let bytes = Array(text.utf8)
        var tags: [EntityTag] = []
        var index = 0
        while index < bytes.count {
            while index < bytes.count, bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                index += 1
            }
            guard index < bytes.count else { break }
            var isWeak = false
            if bytes[index] == UInt8(ascii: "W"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                isWeak = true
                index += 2
            }
            let start: Int
            let end: Int
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                start = index + 1
                var close = start
                while close < bytes.count, bytes[close] != UInt8(ascii: "\"") { close += 1 }
                end = close
                index = min(close + 1, bytes.count)
            } else {
                start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
                var last = index
                while last > start, bytes[last - 1] == UInt8(ascii: " ") || bytes[last - 1] == UInt8(ascii: "\t") { last -= 1 }
                end = last
            }
            tags.append(EntityTag(opaque: String(decoding: bytes[start..<end], as: UTF8.self), isWeak: isWeak))
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
        }
        return tags
    }

    /// Weak comparison: the opaque tags match, whatever their weakness (used by If-None-Match).
    public func weaklyMatches(_ other: EntityTag) -> Bool {
        opaque == other.opaque
    }

    /// Strong comparison: both strong and identical.
    public func stronglyMatches(_ other: EntityTag) -> Bool {
        !isWeak && !other.isWeak && opaque == other.opaque
    }

    /// The field value form.
    public var headerValue: String {
        (isWeak ? "W/\"" : "\"") + opaque + "\""
    }
}
