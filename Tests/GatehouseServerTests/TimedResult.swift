// TimedResult: awaits a call for at most a while, so one that hangs fails its test instead of hanging the suite.
import NIOConcurrencyHelpers

enum TimedResult {
    /// `body`'s result, or nil when it takes longer than `timeout` (it is left running).
    static func of<T: Sendable>(within timeout: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let waiting = NIOLockedValueBox<CheckedContinuation<T?, Never>?>(continuation)
            let resume: @Sendable (T?) -> Void = { value in
                waiting.withLockedValue { waiting in
                    defer { waiting = nil }
                    return waiting
                }?.resume(returning: value)
            }
            Task.detached { resume(await body()) }
            Task.detached {
                try? await Task.sleep(for: timeout)
                resume(nil)
            }
        }
    }
}
