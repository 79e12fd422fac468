// ByteRateSyntax: reads config rates in bytes per second ("500B/s", "1KiB/s").

/// The text form of rates in proxy.conf: a size (`ByteSizeSyntax`) followed by `/s`. The `/s` is
/// required, so that a rate never reads as a size; only `0` (the rule off) needs none.
enum ByteRateSyntax {
    static func parse(_ text: String) throws(InvalidValue) -> Int {
        if text == "0" { return 0 }
        let notARate = InvalidValue("\(ConfigText.quoted(text)) is not a rate; write a size per second, e.g. \"500B/s\" or \"1KiB/s\"")
        guard text.hasSuffix("/s") else { throw notARate }
        do {
            return try ByteSizeSyntax.parse(String(text.dropLast(2)))
        } catch {
            // The size's own complaint would quote the text without its "/s", and confuse.
            throw notARate
        }
    }
}
