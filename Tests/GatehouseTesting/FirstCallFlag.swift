// FirstCallFlag: true for the first caller only, for origins in tests that answer their first request differently.
import Synchronization

/// A flag that is true exactly once: ``take()`` answers true the first time, false ever after,
/// from any thread (a test origin's behaviour closure runs on its event loops).
public final class FirstCallFlag: Sendable {
    private let taken = Atomic<Bool>(false)

    public init() {}

    /// True for the first call only.
    public func take() -> Bool {
        !taken.exchange(true, ordering: .relaxed)
    }
}
