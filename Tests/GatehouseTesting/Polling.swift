// Polling: waits for a condition only seen by asking again (a metric, an internal counter, a hit), bounded in time.

/// For what a test cannot await as an event: asks every `interval` until `condition` holds or
/// `timeout` has passed, so a loaded machine gets the whole bound rather than a number of tries.
public enum Polling {
    /// Whether `condition` held within `timeout` (asked once more at the deadline).
    public static func until(
        every interval: Duration = .milliseconds(10), within timeout: Duration = .seconds(10),
        _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: interval)
        }
        return try await condition()
    }
}
