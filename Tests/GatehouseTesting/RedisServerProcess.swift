// RedisServerProcess: a real redis-server for tests, on a free port, that the test stops again.
import Foundation
import Glibc

/// A `redis-server` child process listening on 127.0.0.1 (and optionally a unix socket). Linux only.
///
/// Started with persistence off (`--save "" --appendonly no`); ``start(password:unixSocket:extraArguments:timeout:)``
/// returns once the server logs "Ready to accept connections" (event-driven, bounded). Always
/// ``stop()`` it. Two safety nets keep a server from outliving its test: `deinit` SIGKILLs a
/// server still running, and a tiny watchdog process SIGKILLs it if the test process dies.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`: children of `Process` inherit
/// the spawning thread's signal mask, and Swift's worker threads block SIGTERM, so such a redis
/// would ignore ``stop()``. Here the child starts with an empty mask and default handlers.
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
    private let executable: String
    private let arguments: [String]
    private let lock = NSLock()
    private var launch: Launch?

    private init(executable: String, port: Int, password: String?, unixSocketPath: String?, extraArguments: [String]) {
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
            guard let output = try await server.launchAndWait(timeout: timeout) else {
                return server
            }
            lastOutput = output
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
        let launch = try Launch(executable: executable, arguments: arguments)
        lock.withLock { self.launch = launch }
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

    private static func findExecutable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/redis-server" }
            + ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "redis-server not found on PATH (apt-get install redis-server)")
        }
        return found
    }
}

extension RedisServerProcess {
    /// One run of redis-server: its output, readiness and exit (each awaitable), and its watchdog.
    private final class Launch: @unchecked Sendable {
        private static let readyLine = "Ready to accept connections"
        private static let keptOutput = 64 * 1024

        private let pid: pid_t
        private let watchdog: Watchdog?
        private let lock = NSLock()
        private var collected = ""
        /// nil until decided: true once the ready line is seen, false if it exited or timed out first.
        private var ready: Bool?
        private var readyWaiter: CheckedContinuation<Bool, Never>?
        private var exited = false
        private var exitWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        private var nextWaiterToken = 0
        private var abandonedTokens: Set<Int> = []

        init(executable: String, arguments: [String]) throws {
            let output = try ChildSpawner.pipe()
            do {
                pid = try ChildSpawner.spawn(executable, arguments, stdin: nil, stdout: output.write)
            } catch {
                close(output.read)
                close(output.write)
                throw error
            }
            close(output.write)
            watchdog = try? Watchdog(guarding: pid)
            Thread.detachNewThread { [self] in self.readOutput(from: output.read) }
            Thread.detachNewThread { [self] in
                ChildSpawner.waitForExit(of: pid)
                self.didExit()
            }
        }

        var output: String { lock.withLock { collected } }
        var hasExited: Bool { lock.withLock { exited } }

        func signal(_ signal: Int32) {
            // Once reaped, the PID may belong to someone else.
            lock.withLock {
                if !exited { _ = Glibc.kill(pid, signal) }
            }
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

        private func readOutput(from descriptor: Int32) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    append(String(decoding: buffer[0..<count], as: UTF8.self))
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(descriptor)
        }

        private func append(_ text: String) {
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
            watchdog?.disarm()
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

    /// `sh` blocked reading a pipe only this process holds open: if the test process dies, the
    /// pipe closes and the shell SIGKILLs the server.
    private final class Watchdog: @unchecked Sendable {
        private let pid: pid_t
        private let lock = NSLock()
        private var writeEnd: Int32?

        init(guarding target: pid_t) throws {
            let pipe = try ChildSpawner.pipe()
            do {
                pid = try ChildSpawner.spawn(
                    "/bin/sh", ["-c", "read _; kill -KILL \"$1\" 2>/dev/null", "gatehouse-redis-watchdog", String(target)],
                    stdin: pipe.read, stdout: nil
                )
            } catch {
                close(pipe.read)
                close(pipe.write)
                throw error
            }
            close(pipe.read)
            writeEnd = pipe.write
            Thread.detachNewThread { [pid] in ChildSpawner.waitForExit(of: pid) }
        }

        /// The server is gone: stop the watchdog before its PID could be reused.
        func disarm() {
            lock.withLock {
                guard let writeEnd else { return }
                // Killed first, so closing the pipe cannot make it fire.
                _ = Glibc.kill(pid, SIGKILL)
                close(writeEnd)
                self.writeEnd = nil
            }
        }

        deinit {
            disarm()
        }
    }

    /// posix_spawn with a clean signal state and chosen standard streams.
    private enum ChildSpawner {
        /// Held while a pipe is made and marked close-on-exec, and while spawning, so none of our
        /// children inherits another's pipe (which would keep a watchdog from seeing EOF).
        private static let spawnLock = NSLock()

        /// A pipe whose ends are closed on exec, so no other child inherits them by accident.
        static func pipe() throws -> (read: Int32, write: Int32) {
            try spawnLock.withLock {
                var descriptors: [Int32] = [0, 0]
                guard Glibc.pipe(&descriptors) == 0 else {
                    throw Failure(description: "pipe failed: errno \(errno)")
                }
                for descriptor in descriptors {
                    _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                }
                return (descriptors[0], descriptors[1])
            }
        }

        /// Spawns `path`; stdin/stdout (and stderr) are the given descriptors or /dev/null.
        static func spawn(_ path: String, _ arguments: [String], stdin: Int32?, stdout: Int32?) throws -> pid_t {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if let stdin {
                posix_spawn_file_actions_adddup2(&actions, stdin, 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            if let stdout {
                posix_spawn_file_actions_adddup2(&actions, stdout, 1)
                posix_spawn_file_actions_adddup2(&actions, stdout, 2)
            } else {
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            }

            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var noneBlocked = sigset_t()
            sigemptyset(&noneBlocked)
            posix_spawnattr_setsigmask(&attributes, &noneBlocked)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] {
                sigaddset(&defaults, signal)
            }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

            let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
            defer { for argument in argv { free(argument) } }
            var pid = pid_t()
            let result = spawnLock.withLock { posix_spawn(&pid, path, &actions, &attributes, argv, environ) }
            guard result == 0 else {
                throw Failure(description: "posix_spawn \(path) failed: errno \(result)")
            }
            return pid
        }

        /// Blocks the calling (dedicated) thread until `pid` exits, and reaps it.
        static func waitForExit(of pid: pid_t) {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        }
    }
}
