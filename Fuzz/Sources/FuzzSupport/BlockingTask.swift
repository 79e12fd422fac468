// BlockingTask: runs async setup code to completion from libFuzzer's synchronous entry point.
import Dispatch

/// libFuzzer's callback cannot await; setup that only exists as `async` (jwt-kit's key
/// collection) is run once on the concurrency pool while the caller waits.
public enum BlockingTask {
    /// The value `body` returns, or nil when it throws.
    public static func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) -> Value? {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<Value>()
        Task.detached {
            box.value = try? await body()
            done.signal()
        }
        done.wait()
        return box.value
    }

    /// Written once by the task before it signals, read once after the wait.
    private final class ResultBox<Value>: @unchecked Sendable {
        var value: Value?
    }
}
