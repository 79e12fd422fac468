// RedisServerProcess: a real redis-server for tests, on a free port, that the test stops again.
import Foundation

/// A `redis-server` child process listening on 127.0.0.1 (and optionally a unix socket).
///
/// Started with persistence off (`--save "" --appendonly no`). ``start(password:unixSocket:extraArguments:timeout:)``
/// returns once the server logs "Ready to accept connections" (event-driven, bounded). Always
/// ``stop()`` it; `deinit` SIGKILLs a server still running as a last resort.
public final class RedisServerProcess: @unchecked Sendable {
    /// Why the server could not be started.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The `requirepass` password, if one was set.
    public let password: String?
    /// The unix socket path, if one was requested.
    public let unixSocketPath: String?
    private let executable: URL
    private let arguments: [String]
    private let lock = NSLock()
    private var launch: Launch?

    private init(executable: URL, port: Int, password: String?, unixSocketPath: String?, extraArguments: [String]) {
        self.executable = executable
        self.port = port
        self.password = password
        self.unixSocketPath = unixSocketPath
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", "",
            "--dir", FileManager.default.temporaryDirectory.path,
        ]
        if let password {
            arguments += ["--requirepass", password]
        }
        if let unixSocketPath {
            arguments += ["--unixsocket", unixSocketPath, "--unixsocketperm", "700"]
        }
        self.arguments = arguments + extraArguments
    }

    deinit {
        launch?.signal(SIGKILL)
        removeSocketFile()
    }

    /// Starts a server on a free port and waits until it accepts connections.
    ///
    /// - Parameters:
    ///   - password: sets `--requirepass`.
    ///   - unixSocket: also listen on a fresh unix socket (``unixSocketPath``).
    ///   - extraArguments: more `redis-server` options, e.g. `["--enable-debug-command", "yes"]`.
    ///   - timeout: how long to wait for readiness per attempt.
    public static func start(
        password: String? = nil,
        unixSocket: Bool = false,
        extraArguments: [String] = [],
        timeout: Duration = .seconds(10)
    ) async throws -> RedisServerProcess {
        let executable = try findExecutable()
        var lastOutput = ""
        // The free port can be taken between the probe and redis' bind: try a few.
        for _ in 0..<3 {
            let port = try freeTCPPort()
            let socketPath = unixSocket ? "/tmp/gatehouse-redis-\(getpid())-\(port).sock" : nil
            let server = RedisServerProcess(
                executable: executable, port: port, password: password,
                unixSocketPath: socketPath, extraArguments: extraArguments
            )
            if let output = try await server.launchAndWait(timeout: timeout) {
                lastOutput = output
                continue
            }
            return server
        }
        throw Failure(description: "redis-server did not start:\n\(lastOutput)")
    }

    /// True while the current process has not exited.
    public var isRunning: Bool {
        lock.withLock { launch }?.hasExited == false
    }

    /// What the current (or last) process printed, for failure messages.
    public var output: String {
        lock.withLock { launch }?.output ?? ""
    }

    /// SIGTERM, then waits for the exit (SIGKILL after 5 s).
    public func stop() async {
        guard let launch = lock.withLock({ launch }) else { return }
        launch.signal(SIGTERM)
        if await !launch.waitForExit(timeout: .seconds(5)) {
            launch.signal(SIGKILL)
            _ = await launch.waitForExit(timeout: .seconds(5))
        }
        removeSocketFile()
    }

    /// SIGKILL, as a crash would; waits for the exit.
    public func kill() async {
        guard let launch = lock.withLock({ launch }) else { return }
        launch.signal(SIGKILL)
        _ = await launch.waitForExit(timeout: .seconds(5))
        removeSocketFile()
    }

    /// Starts the server again on the same port (and socket) after ``stop()`` or ``kill()``.
    public func restart(timeout: Duration = .seconds(10)) async throws {
        if isRunning { await stop() }
        if let output = try await launchAndWait(timeout: timeout) {
            throw Failure(description: "redis-server did not restart on port \(port):\n\(output)")
        }
    }

    /// Launches and waits for readiness; nil when ready, else the output of the failed attempt.
    private func launchAndWait(timeout: Duration) async throws -> String? {
        removeSocketFile()
        let launch = Launch(executable: executable, arguments: arguments)
        lock.withLock { self.launch = launch }
        try launch.run()
        if await launch.waitUntilReady(timeout: timeout) {
            return nil
        }
        launch.signal(SIGKILL)
        _ = await launch.waitForExit(timeout: .seconds(5))
        return launch.output
    }

    private func removeSocketFile() {
        if let unixSocketPath {
            unlink(unixSocketPath)
        }
    }

    private static func findExecutable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/redis-server" }
            + ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "redis-server not found on PATH (apt-get install redis-server)")
        }
        return URL(fileURLWithPath: found)
    }
}

extension RedisServerProcess {
    /// One run of the executable: its output, readiness and exit, each awaitable once.
    private final class Launch: @unchecked Sendable {
        private static let readyLine = "Ready to accept connections"
        private static let keptOutput = 64 * 1024

        private let process = Process()
        private let pipe = Pipe()
        private let lock = NSLock()
        private var collected = ""
        /// nil until decided: true once the ready line is seen, false if it exited or timed out first.
        private var ready: Bool?
        private var readyWaiter: CheckedContinuation<Bool, Never>?
        private var exited = false
        private var exitWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        private var nextWaiterToken = 0
        private var abandonedTokens: Set<Int> = []

        init(executable: URL, arguments: [String]) {
            process.executableURL = executable
            process.arguments = arguments
            process.standardOutput = pipe
            process.standardError = pipe
            process.standardInput = FileHandle.nullDevice
        }

        var output: String { lock.withLock { collected } }
        var hasExited: Bool { lock.withLock { exited } }

        func run() throws {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.append(data)
            }
            process.terminationHandler = { [weak self] _ in
                guard let self else { return }
                self.pipe.fileHandleForReading.readabilityHandler = nil
                self.append(self.pipe.fileHandleForReading.readDataToEndOfFile())
                self.didExit()
            }
            try process.run()
        }

        func signal(_ signal: Int32) {
            guard !hasExited else { return }
            _ = Foundation.kill(process.processIdentifier, signal)
        }

        /// True once the ready line appears; false if the process exits first or `timeout` passes.
        func waitUntilReady(timeout: Duration) async -> Bool {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        let decided = self.lock.withLock { () -> Bool? in
                            if self.ready == nil { self.readyWaiter = continuation }
                            return self.ready
                        }
                        if let decided { continuation.resume(returning: decided) }
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    self.decideReady(false)
                    return false
                }
                let result = await group.next() ?? false
                group.cancelAll()
                return result
            }
        }

        /// True once the process has exited; false if it is still running after `timeout`.
        func waitForExit(timeout: Duration) async -> Bool {
            let token = lock.withLock { () -> Int in
                nextWaiterToken += 1
                return nextWaiterToken
            }
            return await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        let decided = self.lock.withLock { () -> Bool? in
                            if self.exited { return true }
                            if self.abandonedTokens.remove(token) != nil { return false }
                            self.exitWaiters[token] = continuation
                            return nil
                        }
                        if let decided { continuation.resume(returning: decided) }
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    // Wake our own waiter, or the group would wait for an exit that may never come.
                    self.resumeExitWaiter(token, with: false)
                    return false
                }
                let result = await group.next() ?? false
                group.cancelAll()
                return result
            }
        }

        private func resumeExitWaiter(_ token: Int, with value: Bool) {
            let waiter = lock.withLock { () -> CheckedContinuation<Bool, Never>? in
                guard let waiter = exitWaiters.removeValue(forKey: token) else {
                    // Not registered yet: tell the registration it is already decided.
                    if !exited { abandonedTokens.insert(token) }
                    return nil
                }
                return waiter
            }
            waiter?.resume(returning: value)
        }

        private func append(_ data: Data) {
            guard !data.isEmpty else { return }
            let text = String(decoding: data, as: UTF8.self)
            let sawReady = lock.withLock { () -> Bool in
                collected += text
                if collected.utf8.count > Self.keptOutput {
                    collected = String(collected.suffix(Self.keptOutput / 2))
                }
                return ready == nil && collected.contains(Self.readyLine)
            }
            if sawReady { decideReady(true) }
        }

        private func didExit() {
            let waiters = lock.withLock { () -> [CheckedContinuation<Bool, Never>] in
                exited = true
                defer { exitWaiters.removeAll() }
                return Array(exitWaiters.values)
            }
            decideReady(false)
            for waiter in waiters { waiter.resume(returning: true) }
        }

        private func decideReady(_ value: Bool) {
            let waiter = lock.withLock { () -> CheckedContinuation<Bool, Never>? in
                guard ready == nil else { return nil }
                ready = value
                defer { readyWaiter = nil }
                return readyWaiter
            }
            waiter?.resume(returning: value)
        }
    }
}
