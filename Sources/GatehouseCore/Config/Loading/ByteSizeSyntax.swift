// ByteSizeSyntax: reads and prints config sizes ("512KiB", "256MiB", "10MB", "100B").

/// The text form of sizes in proxy.conf: a number and a unit, binary (`KiB`, `MiB`, `GiB`, `TiB`)
/// or decimal (`KB`, `MB`, `GB`, `TB`), or bytes (`B`); units are case-insensitive. A bare number is
/// refused, because "32" could be bytes or KiB; only `0` needs none.
enum ByteSizeSyntax {
    private static let bytesPerUnit: [String: Int64] = [
        "b": 1,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
    ]

    static func parse(_ text: String) throws(InvalidValue) -> Int {
        let quoted = ConfigText.quoted(text)
        if text == "0" { return 0 }
        let parts: [UnitQuantity]
        do {
            parts = try UnitQuantityScanner.scan(text)
        } catch .empty {
            throw InvalidValue("needs a size such as \"512KiB\" or \"10MiB\"")
        } catch .negative {
            throw InvalidValue("\(quoted) must not be negative")
        } catch {
            throw InvalidValue("\(quoted) is not a size; write a number and a unit (B, KiB, MiB, GiB), e.g. \"512KiB\"")
        }
        guard parts.count == 1, let part = parts.first else {
            throw InvalidValue("\(quoted) is not a size; write one number and one unit (B, KiB, MiB, GiB), e.g. \"512KiB\"")
        }
        guard !part.unit.isEmpty else {
            let example = Int(part.wholeDigits).map { part.fractionDigits.isEmpty ? format($0) : "\($0)B" } ?? "512KiB"
            throw InvalidValue("\(quoted) needs a unit (B, KiB, MiB, GiB), e.g. \(ConfigText.quoted(example))")
        }
        guard let perUnit = bytesPerUnit[part.unit.lowercased()] else {
            throw InvalidValue("\(quoted) has an unknown unit \(ConfigText.quoted(String(part.unit))); use B, KiB, MiB, GiB, KB, MB or GB")
        }
        guard let bytes = part.scaled(by: perUnit), let result = Int(exactly: bytes) else {
            throw InvalidValue("\(quoted) is too large")
        }
        return result
    }

    /// The largest binary unit that holds `bytes` exactly: `256MiB`, `32KiB`, `1000B`.
    static func format(_ bytes: Int) -> String {
        for (unit, size) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes != 0 && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)B"
    }
}
