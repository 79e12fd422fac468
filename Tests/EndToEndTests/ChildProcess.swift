// ChildProcess: a real gatehouse or demo-api process started by a test, with its output captured.
import Foundation
import NIOConcurrencyHelpers

/// Runs an executable, collects its output, and lets a test wait for a line or for the exit.
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let output = NIOLockedValueBox<String>("")
    private let lineWaiters = NIOLockedValueBox<[(String, CheckedContinuation<Bool, Never>)]>([])
    private let exit = NIOLockedValueBox<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) {
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.append(data)
        }
        process.terminationHandler = { [weak self] process in
            guard let self else { return }
            // Collect the tail the readability handler has not delivered yet.
            pipe.fileHandleForReading.readabilityHandler = nil
            self.append(pipe.fileHandleForReading.readDataToEndOfFile())
            let status = process.terminationStatus
            let waiters = self.exit.withLockedValue { state -> [CheckedContinuation<Int32, Never>] in
                state.status = status
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
    }

    private func append(_ data: Data) {
        guard !data.isEmpty else { return }
        let text = String(decoding: data, as: UTF8.self)
        let all = output.withLockedValue { output -> String in
            output += text
            return output
        }
        resumeWaiters(seeing: all)
    }

    func start() throws {
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var capturedOutput: String { output.withLockedValue { $0 } }

    /// Waits until the output contains `text` (true) or `timeout` passes (false). Event-driven:
    /// resumed by the pipe's readability handler.
    func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let already = self.output.withLockedValue { $0.contains(text) }
                    if already {
                        continuation.resume(returning: true)
                    } else {
                        self.lineWaiters.withLockedValue { $0.append((text, continuation)) }
                        // Output may have arrived between the check and the registration.
                        self.resumeWaiters(seeing: self.capturedOutput)
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            if !first { self.resumeAllWaiters() }
            group.cancelAll()
            return first
        }
    }

    private func resumeWaiters(seeing all: String) {
        let ready = lineWaiters.withLockedValue { waiters -> [CheckedContinuation<Bool, Never>] in
            let matched = waiters.filter { all.contains($0.0) }.map(\.1)
            waiters.removeAll { all.contains($0.0) }
            return matched
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    private func resumeAllWaiters() {
        let all = lineWaiters.withLockedValue { waiters -> [CheckedContinuation<Bool, Never>] in
            defer { waiters.removeAll() }
            return waiters.map(\.1)
        }
        for continuation in all { continuation.resume(returning: false) }
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the exit (bounded); returns the exit status, or nil if it did not exit in time
    /// (the process is then killed).
    func waitForExit(timeout: Duration = .seconds(60)) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.exit.withLockedValue { state -> Int32? in
                        if let status = state.status { return status }
                        state.waiters.append(continuation)
                        return nil
                    }
                    if let done { continuation.resume(returning: done) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil {
                self.process.terminate()
                // The termination handler resumes the exit waiter once the process is gone.
                _ = await group.next()
            }
            group.cancelAll()
            return first
        }
    }

    /// Runs to completion and returns (status, output).
    static func run(_ executable: URL, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (Int32, String) {
        let child = ChildProcess(executable, arguments)
        try child.start()
        let status = await child.waitForExit(timeout: timeout) ?? -1
        return (status, child.capturedOutput)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
