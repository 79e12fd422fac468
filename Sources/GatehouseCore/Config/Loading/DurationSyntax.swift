// DurationSyntax: reads and prints config durations ("250ms", "30s", "5m", "1h", "1m30s").

/// The text form of durations in proxy.conf: a number and a unit (`ms`, `s`, `m`, `h`), or several
/// such parts added up (`1m30s`). A bare number is refused, because "60" could mean any unit; only
/// `0` needs none.
enum DurationSyntax {
    static let unitNames = ["ms", "s", "m", "h"]

    /// The longest duration any key takes: a leap year (8784h). Longer than any timeout, window or
    /// TTL means anything, and short enough that a clock reading plus several of them, in Int64
    /// nanoseconds, stays far from overflowing (the parser alone allows up to 292 years).
    static let longest: Duration = .seconds(366 * 24 * 3600)

    private static let nanosecondsPerUnit: [Substring: Int64] = [
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60_000_000_000,
        "h": 3_600_000_000_000,
    ]

    static func parse(_ text: String) throws(InvalidValue) -> Duration {
        let quoted = ConfigText.quoted(text)
        if text == "0" { return .zero }
        let parts: [UnitQuantity]
        do {
            parts = try UnitQuantityScanner.scan(text)
        } catch .empty {
            throw InvalidValue("needs a duration such as \"30s\" or \"250ms\"")
        } catch .negative {
            throw InvalidValue("\(quoted) must not be negative")
        } catch {
            throw InvalidValue("\(quoted) is not a duration; write a number and a unit (ms, s, m, h), e.g. \"30s\"")
        }
        var total: Int64 = 0
        for part in parts {
            guard !part.unit.isEmpty else {
                let example = parts.count == 1 ? text + "s" : "1m30s"
                throw InvalidValue("\(quoted) needs a unit (ms, s, m, h), e.g. \(ConfigText.quoted(example))")
            }
            guard let perUnit = nanosecondsPerUnit[part.unit] else {
                throw InvalidValue("\(quoted) has an unknown unit \(ConfigText.quoted(String(part.unit))); use ms, s, m or h")
            }
            guard let nanoseconds = part.scaled(by: perUnit) else {
                throw InvalidValue("\(quoted) is too long")
            }
            let (sum, overflow) = total.addingReportingOverflow(nanoseconds)
            guard !overflow else { throw InvalidValue("\(quoted) is too long") }
            total = sum
        }
        return .nanoseconds(total)
    }

    /// The shortest text that parses back to `duration`: `30s`, `1m30s`, `250ms`, `1.5ms`.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0, seconds > 0 || attoseconds > 0 else {
            return duration == .zero ? "0s" : "\(duration)"
        }
        let hours = seconds / 3600
        let minutes = seconds % 3600 / 60
        let wholeSeconds = seconds % 60
        let nanoseconds = attoseconds / 1_000_000_000
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if wholeSeconds > 0 { text += "\(wholeSeconds)s" }
        if nanoseconds > 0 {
            let milliseconds = nanoseconds / 1_000_000
            let rest = nanoseconds % 1_000_000
            if rest == 0 {
                text += "\(milliseconds)ms"
            } else {
                var fraction = String(rest)
                fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
                while fraction.hasSuffix("0") { fraction.removeLast() }
                text += "\(milliseconds).\(fraction)ms"
            }
        }
        return text.isEmpty ? "0s" : text
    }
}
