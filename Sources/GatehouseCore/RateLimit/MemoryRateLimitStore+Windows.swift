// MemoryRateLimitStore+Windows: a reload that lengthens a policy's window keeps its keys as long.

extension MemoryRateLimitStore {
    /// Holds every key of the policies in `windows` (by key prefix, `name:`) for at least the
    /// window given there. A key is reclaimed once idle for the window it was last used with; after
    /// a reload lengthened its policy's window, its admissions still count for the longer one, and
    /// reclaiming it by the shorter one would hand its client a fresh quota. Visits every key once
    /// (a reload, never a request).
    public func keepKeys(forLongerWindows windows: [String: UInt64]) {
        guard !windows.isEmpty else { return }
        for shard in shards {
            shard.table.withLock { table in
                table.changeEach { key, tracked in
                    // A policy name holds no ":", so the key's prefix is everything up to the first.
                    guard let colon = key.text.utf8.firstIndex(of: UInt8(ascii: ":")),
                          let window = windows[String(key.text[...colon])], window > tracked.window
                    else { return }
                    tracked.window = window
                }
            }
        }
    }
}
