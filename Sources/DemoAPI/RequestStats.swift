// Counts the requests that reached the origin, so proxy tests can tell a cache hit from a miss.
import NIOConcurrencyHelpers

/// Per request target (path and query, as sent); the number of distinct targets is bounded so a
/// benchmark over many URLs cannot grow it without limit (past the bound only the total counts).
final class RequestStats: Sendable {
    static let maxTrackedTargets = 10_000

    private struct Counts {
        var total = 0
        var byTarget: [String: Int] = [:]
    }

    private let counts = NIOLockedValueBox(Counts())

    func record(target: String) {
        self.counts.withLockedValue { counts in
            counts.total += 1
            if let seen = counts.byTarget[target] {
                counts.byTarget[target] = seen + 1
            } else if counts.byTarget.count < Self.maxTrackedTargets {
                counts.byTarget[target] = 1
            }
        }
    }

    func snapshot() -> (total: Int, byTarget: [String: Int]) {
        self.counts.withLockedValue { ($0.total, $0.byTarget) }
    }
}
