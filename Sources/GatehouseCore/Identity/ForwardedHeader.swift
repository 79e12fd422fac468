// ForwardedHeader: the `for=` nodes of RFC 7239 Forwarded fields, quoted strings and all.

import NIOHTTP1

/// Reads RFC 7239 `Forwarded` fields, e.g.
/// `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"`.
public enum ForwardedHeader {
    /// The `for` value of every forwarded element, in order (first = farthest from us), unquoted;
    /// nil for an element without one. Empty elements (stray commas) are no element. Every field
    /// line is read, as one list.
    public static func forNodes(in headers: HTTPHeaders) -> [String?] {
        headers["Forwarded"].flatMap { forNodes(inFieldValue: $0) }
    }

    /// The `for` values of one field line.
    public static func forNodes(inFieldValue value: String) -> [String?] {
        var nodes: [String?] = []
        var scanner = Scanner(bytes: Array(value.utf8))
        while !scanner.isAtEnd {
            var forNode: String?
            var isEmpty = true
            // One element: pairs separated by ";" until "," or the end.
            while !scanner.isAtEnd {
                let name = scanner.token(until: [UInt8(ascii: "="), UInt8(ascii: ";"), UInt8(ascii: ",")])
                var pairValue: String?
                if scanner.skip(UInt8(ascii: "=")) {
                    pairValue = scanner.value()
                }
                if !name.isEmpty || pairValue != nil {
                    isEmpty = false
                }
                if forNode == nil, name.lowercased() == "for" {
                    forNode = pairValue
                }
                if scanner.skip(UInt8(ascii: ";")) { continue }
                // Anything else up to the end of the element is malformed: skip it.
                scanner.skipPast(UInt8(ascii: ","))
                break
            }
            if !isEmpty {
                nodes.append(forNode)
            }
        }
        return nodes
    }

    /// A byte cursor over one field value; never reads past the end.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        var isAtEnd: Bool { position >= bytes.count }

        /// Skips whitespace, then `byte` if it is next; true when it was.
        mutating func skip(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// Moves past the next `byte` outside quoted strings (or to the end).
        mutating func skipPast(_ byte: UInt8) {
            while position < bytes.count {
                let current = bytes[position]
                if current == UInt8(ascii: "\"") {
                    _ = quoted()
                    continue
                }
                position += 1
                if current == byte { return }
            }
        }

        /// The text up to (not including) any of `stops`, trimmed.
        mutating func token(until stops: [UInt8]) -> String {
            skipWhitespace()
            let start = position
            while position < bytes.count, !stops.contains(bytes[position]) {
                position += 1
            }
            return String(decoding: bytes[start..<position], as: UTF8.self).trimmingForwardingWhitespace().description
        }

        /// A pair's value: a quoted string (unescaped) or a token.
        mutating func value() -> String {
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                return quoted()
            }
            return token(until: [UInt8(ascii: ";"), UInt8(ascii: ",")])
        }

        /// Reads a quoted string starting at the opening quote; an unterminated one runs to the end.
        mutating func quoted() -> String {
            position += 1
            var content: [UInt8] = []
            while position < bytes.count {
                let current = bytes[position]
                position += 1
                if current == UInt8(ascii: "\"") { break }
                if current == UInt8(ascii: "\\"), position < bytes.count {
                    content.append(bytes[position])
                    position += 1
                } else {
                    content.append(current)
                }
            }
            return String(decoding: content, as: UTF8.self)
        }

        private mutating func skipWhitespace() {
            while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") {
                position += 1
            }
        }
    }
}
