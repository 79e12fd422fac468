// ScriptedDestination: an access-log destination whose writes go short or fail in a set order, for the writer's failure paths.
#if canImport(Glibc)
import Glibc
#endif
@testable import GatehouseServer
import NIOConcurrencyHelpers

/// Stands in for write(2): call `n` of the writer takes at most `script[n]` bytes, or fails with
/// EIO where the entry is nil; calls past the script take everything. Records what was taken
/// and the lines the writer counts as dropped, and wakes whoever waits for those.
final class ScriptedDestination: Sendable {
    private struct State {
        var calls = 0
        var bytes: [UInt8] = []
        var dropped = 0
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let script: [Int?]
    private let state = NIOLockedValueBox(State())

    init(_ script: [Int?]) {
        self.script = script
    }

    /// The bytes written so far.
    var bytes: [UInt8] { state.withLockedValue { $0.bytes } }

    /// A writer to this destination.
    func writer() throws -> AccessLogWriter {
        try AccessLogWriter(
            destination: .file(path: "/dev/null"), maxPendingBytes: 1 << 20,
            onDrop: { count in self.noteDropped(count) },
            write: { _, base, count in self.take(base, count) }
        )
    }

    /// Returns once the writer has counted `count` lines as dropped in all.
    func waitForDrops(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> Bool in
                guard state.dropped < count else { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func take(_ base: UnsafeRawPointer, _ count: Int) -> Int {
        state.withLockedValue { state in
            let call = state.calls
            state.calls += 1
            let allowed = call < script.count ? script[call] : count
            guard let allowed else {
                errno = EIO
                return -1
            }
            let taken = min(allowed, count)
            state.bytes += UnsafeRawBufferPointer(start: base, count: taken)
            return taken
        }
    }

    private func noteDropped(_ count: Int) {
        let woken = state.withLockedValue { state in
            state.dropped += count
            let total = state.dropped
            defer { state.waiters.removeAll { $0.count <= total } }
            return state.waiters.filter { $0.count <= total }.map(\.continuation)
        }
        woken.forEach { $0.resume() }
    }
}
