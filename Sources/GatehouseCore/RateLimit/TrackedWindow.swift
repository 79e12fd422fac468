// TrackedWindow: what the memory store keeps per key — the counter and the window it was last used with.

/// A key's `SlidingWindow` together with its window length, so an idle key can be recognised and
/// reclaimed without knowing which policy it belongs to.
struct TrackedWindow: Sendable {
    var counter = SlidingWindow()
    var window: UInt64

    /// True when nothing recorded here counts any more: forgetting the key changes no decision.
    func isIdle(at now: UInt64) -> Bool {
        counter.isIdle(at: now, window: window)
    }
}
