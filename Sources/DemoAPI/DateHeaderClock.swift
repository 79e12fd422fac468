// The current time for `Date` headers and new users, formatted at most once per second.
import Foundation
import NIOConcurrencyHelpers

/// Shared by every connection; formatting the `Date` header per request would cost more than the
/// lock that lets all of them reuse one string per second.
final class DateHeaderClock: Sendable {
    private let cached = NIOLockedValueBox<(second: Int, value: String)>((second: -1, value: ""))

    /// Whole seconds since 1970.
    var now: Int {
        Int(Date().timeIntervalSince1970)
    }

    /// The `Date` header value for the current second.
    var httpDate: String {
        let second = self.now
        return self.cached.withLockedValue { cached in
            if cached.second != second {
                cached = (second, UTCTime(secondsSince1970: second).httpDate)
            }
            return cached.value
        }
    }
}
