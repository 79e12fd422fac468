// KeySuggester: finds the known word a misspelt key or value most likely meant.

/// Picks the closest known word to a typo (`idle_timout` → `idle_timeout`), or none when nothing is
/// close enough to be a plausible misspelling.
enum KeySuggester {
    static func closest(to word: String, among candidates: [String]) -> String? {
        let target = normalized(word)
        // Longer words tolerate more typos; a short word with two changes is another word.
        let allowed = max(1, min(3, target.count / 3))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, normalized(candidate))
            if distance <= allowed && distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Case and `-`/`_` differences cost nothing: `idleTimeout` and `idle-timeout` both mean `idle_timeout`.
    private static func normalized(_ word: String) -> [Character] {
        Array(word.lowercased().filter { $0 != "-" && $0 != "_" })
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// neighbours each cost one.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previousPrevious[j - 2] + 1)
                }
                current[j] = value
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
