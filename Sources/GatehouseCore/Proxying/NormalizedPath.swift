// NormalizedPath: the request path every `path_prefix` is matched against, normalised as RFC 3986 §6.2.2 and nginx do.

/// A request path (no query, no fragment) in the one form that rate-limit policies, cache rules
/// and `invalidated_by` all match their prefixes against. Origins, and nginx's `location`, treat
/// `/%61pi/users`, `//api/users`, `/./api/users` and `/x/../api/users` as `/api/users`; matched
/// raw, those would escape an `/api/` policy (or fall outside the cache rule, its `per_user` and
/// namespace). Only for matching: the cache key and the head sent upstream keep the raw target.
///
/// The rules (RFC 3986 §6.2.2, plus nginx's `merge_slashes on`):
/// - `%XX` naming an unreserved character (ALPHA / DIGIT / `-` / `.` / `_` / `~`) is decoded,
///   hex digits of either case; any other escape stays encoded, its hex upper-cased (`%3f` →
///   `%3F`);
/// - `%2F` has two readings, and a path holding one is matched under both: as a `/` that
///   separates segments (`value`; nginx decodes it so, and an origin that does would serve
///   `/api%2Fusers` as `/api/users`) and as data inside a segment (`dataSlashReading`; an
///   origin that keeps it so would serve `/api/graphql/%2F..%2Fx` under `/api/graphql`, where
///   the first reading's `..` climbed out of `/api/`);
/// - a `%` without two hex digits after it is kept as it is: whether that is malformed is the
///   request parser's decision, not this one's. Decoding is one pass, as in a lenient origin:
///   what it spells after such a `%` is not read again (`/%%361` is `/%61`);
/// - runs of `/` become one;
/// - `.` and `..` segments are removed (RFC 3986 §5.2.4), `%2E` spellings included; `..` never
///   climbs above `/`.
/// A path that does not start with `/` (the `*` of `OPTIONS *`) is left as it is.
public struct NormalizedPath: Sendable, Hashable, CustomStringConvertible {
    /// The normalised path. When the given path was already normal, it is that path itself:
    /// the same storage, nothing allocated.
    public let value: Substring
    /// The normal form with each `%2F` kept as data in its segment, when the path holds one (and
    /// that reading differs); nil otherwise.
    public let dataSlashReading: Substring?

    /// Normalises `path`, which must not include the query.
    public init(_ path: String) {
        self.init(path[...])
    }

    /// Normalises `path`, which must not include the query.
    public init(_ path: Substring) {
        // Every request comes through here: one scan, and an already-normal path (nearly all of
        // them) is kept as it is instead of being copied.
        let isNormal = path.utf8.withContiguousStorageIfAvailable(Self.isNormal)
            ?? Array(path.utf8).withUnsafeBufferPointer(Self.isNormal)
        guard !isNormal else {
            value = path
            dataSlashReading = nil
            return
        }
        let bytes = Array(path.utf8)
        let slashesDecoded = Self.slashesDecoded(bytes)
        value = Self.normalizing(slashesDecoded, capacity: bytes.count)
        guard slashesDecoded.count != bytes.count else {
            dataSlashReading = nil
            return
        }
        let asData = Self.normalizing(bytes, capacity: bytes.count)
        dataSlashReading = asData == value ? nil : asData
    }

    /// The path of a request target of any form (`/a/b?q`, `http://h/a/b?q`), normalised.
    public init(requestTarget uri: String) {
        self.init(RequestTarget.path(of: uri))
    }

    public var description: String { String(value) }

    /// True when the path, under either reading of a `%2F`, starts with `prefix`, byte for byte
    /// (as nginx compares `location` prefixes): a policy or `invalidated_by` that either reading
    /// falls under applies.
    public func hasPrefix(_ prefix: String) -> Bool {
        value.hasBytePrefix(prefix) || (dataSlashReading?.hasBytePrefix(prefix) ?? false)
    }

    /// True when normalising `bytes` would change nothing: no `%`, no `//`, no `.` or `..`
    /// segment. (`/.well-known` is normal: only whole dot segments are removed.)
    /// An escape stays as it is when it names neither an unreserved character nor `/` and its
    /// hex is upper-case (`/caf%C3%A9`: such paths are common, and are not copied for nothing);
    /// a `%` without two hex digits is one byte, as `normalize` reads it.
    private static func isNormal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.first == slash else { return true }
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case percent:
                guard index + 2 < bytes.count, let high = HexDigits.value(of: bytes[index + 1]),
                      let low = HexDigits.value(of: bytes[index + 2])
                else { break }
                let decoded = high << 4 | low
                if isUnreserved(decoded) || decoded == slash
                    || upperCaseHex(bytes[index + 1]) != bytes[index + 1] || upperCaseHex(bytes[index + 2]) != bytes[index + 2]
                {
                    return false
                }
                index += 2
            case slash:
                let next = index + 1
                if next < bytes.count && (bytes[next] == slash || isDotSegment(bytes, at: next)) {
                    return false
                }
            default:
                break
            }
            index += 1
        }
        return true
    }

    /// Whether the segment starting at `start` is exactly `.` or `..`.
    private static func isDotSegment(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        guard bytes[start] == dot else { return false }
        var end = start + 1
        if end < bytes.count && bytes[end] == dot {
            end += 1
        }
        return end == bytes.count || bytes[end] == slash
    }

    /// The normal form of a path `isNormal` refused, in one new string: the result is never
    /// longer than the input (decoding, merging and removing only shrink it).
    private static func normalizing(_ input: [UInt8], capacity: Int) -> Substring {
        let normal = String(unsafeUninitializedCapacity: capacity) { output in
            input.withUnsafeBufferPointer { normalize($0, into: output) }
        }
        return normal[...]
    }

    /// `bytes` with every `%2F` (either case) made a `/`, before segments are read. Only a `/`
    /// is inserted, which no escape can contain: nothing is decoded twice.
    private static func slashesDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == percent, index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "2"),
               bytes[index + 2] | 0x20 == UInt8(ascii: "f")
            {
                output.append(slash)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    /// Writes the normal form of `input` (starting with `/`) into `output`, segment by segment:
    /// each is written decoded after its `/`, then taken back when it is empty, `.` or `..` (which
    /// takes the one before it too). Returns the length written.
    private static func normalize(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var length = 0
        var endsInSlash = false
        var index = 1  // past the leading "/"
        while index <= input.count {
            let segmentStart = length
            output[length] = slash
            length += 1
            while index < input.count && input[index] != slash {
                index += copyDecoding(input, at: index, into: output, length: &length)
            }
            index += 1  // past the "/" that ended the segment (or the end)
            let segment = UnsafeBufferPointer(rebasing: output[(segmentStart + 1)..<length])
            let isDot = segment.count == 1 && segment[0] == dot
            let isDotDot = segment.count == 2 && segment[0] == dot && segment[1] == dot
            endsInSlash = segment.isEmpty || isDot || isDotDot
            guard endsInSlash else { continue }
            length = segmentStart
            if isDotDot {
                // Drop the segment before, and its "/"; at the root there is none to drop.
                while length > 0 && output[length - 1] != slash {
                    length -= 1
                }
                length = max(length - 1, 0)
            }
        }
        if endsInSlash {
            output[length] = slash
            length += 1
        }
        return length
    }

    /// Copies the byte at `index`, or the escape starting there (decoded when it names an
    /// unreserved character, else with upper-case hex), to `output`; returns the bytes consumed.
    private static func copyDecoding(
        _ input: UnsafeBufferPointer<UInt8>, at index: Int, into output: UnsafeMutableBufferPointer<UInt8>, length: inout Int
    ) -> Int {
        let byte = input[index]
        guard byte == percent, index + 2 < input.count,
              let high = HexDigits.value(of: input[index + 1]), let low = HexDigits.value(of: input[index + 2])
        else {
            output[length] = byte
            length += 1
            return 1
        }
        let decoded = high << 4 | low
        if isUnreserved(decoded) {
            output[length] = decoded
            length += 1
        } else {
            output[length] = percent
            output[length + 1] = upperCaseHex(input[index + 1])
            output[length + 2] = upperCaseHex(input[index + 2])
            length += 3
        }
        return 3
    }

    /// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `a`–`f` as `A`–`F`; other hex digits as they are.
    private static func upperCaseHex(_ digit: UInt8) -> UInt8 {
        digit >= UInt8(ascii: "a") ? digit - (UInt8(ascii: "a") - UInt8(ascii: "A")) : digit
    }

    // Computed, not stored: a constant folded in place, with no lazy-global check per use.
    private static var slash: UInt8 { UInt8(ascii: "/") }
    private static var dot: UInt8 { UInt8(ascii: ".") }
    private static var percent: UInt8 { UInt8(ascii: "%") }
}
