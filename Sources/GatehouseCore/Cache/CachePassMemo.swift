// CachePassMemo: targets one event loop recently found absent from the cache with an unstorable response.
/// Lets a request for a URL that is known to be neither stored nor storable go upstream without
/// building its key, looking it up and joining its flight (Varnish's hit-for-pass object, kept
/// per event loop and for a second instead of in the shared store).
///
/// A mark says: "when the store had seen `storeCount` stores, this target had no entry, and its
/// response was one the cache may not store". It holds until `markDuration` has passed or any
/// store happens (the count moves on), whichever is first, so an entry that appears — stored by
/// this process, or by another instance sharing Redis — is found again within a second.
/// Not thread-safe: one memo per event loop, used only on it.
public final class CachePassMemo {
    /// How long a mark holds, in nanoseconds.
    public static let markDuration: UInt64 = 1_000_000_000
    /// Most targets remembered; past it the stale marks go, and all of them if that is not enough.
    public static let capacity = 4096

    private struct Mark {
        let until: UInt64
        let storeCount: UInt64
    }

    private var marks: [CacheTarget: Mark] = [:]

    public init() {}

    /// Whether `target` is marked and the mark still holds at `now` (uptime nanoseconds) with
    /// the store's `storeCount`. A mark that no longer holds is forgotten.
    public func isMarked(_ target: CacheTarget, now: UInt64, storeCount: UInt64) -> Bool {
        // Every cacheable request asks, hits included: with no marks, spare them the hashing.
        guard !marks.isEmpty, let mark = marks[target] else { return false }
        if mark.until > now && mark.storeCount == storeCount {
            return true
        }
        marks[target] = nil
        return false
    }

    /// Marks `target` as absent and unstorable, as known when the store had seen `storeCount` stores.
    public func mark(_ target: CacheTarget, now: UInt64, storeCount: UInt64) {
        if marks.count >= Self.capacity && marks[target] == nil {
            marks = marks.filter { $0.value.until > now && $0.value.storeCount == storeCount }
            if marks.count >= Self.capacity / 2 {
                marks.removeAll(keepingCapacity: true)
            }
        }
        marks[target] = Mark(until: now + Self.markDuration, storeCount: storeCount)
    }

    /// Targets remembered, holding or not.
    public var count: Int { marks.count }
}
