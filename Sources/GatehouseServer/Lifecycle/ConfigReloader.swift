// ConfigReloader: re-reads the config file and swaps the runtime, or keeps the old one on error.
import GatehouseCore
import Logging
import NIOCore

/// Reloads on SIGHUP and `POST /admin/reload`, one at a time. A file with any problem is
/// rejected whole (logged, counted) and the running config keeps serving; a good one becomes
/// the runtime of every request that starts afterwards.
///
/// One at a time is enforced here, not left to the actor: a reload suspends while it builds the
/// runtime and while it closes what it replaced, and the actor lets another reload in at every
/// suspension. Two builds from the same old runtime would each decide what to reuse and what to
/// close from it, and the second swap could install a runtime whose Redis client the first had
/// closed. So each reload waits for the one before it to finish (in arrival order).
actor ConfigReloader {
    enum Outcome: Sendable {
        case reloaded(summary: String)
        case rejected(problems: [String])
    }

    private let path: String?
    private let state: ServerState
    /// True while a reload runs.
    private var busy = false
    /// Reloads waiting for their turn, oldest first.
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(path: String?, state: ServerState) {
        self.path = path
        self.state = state
    }

    /// Re-reads the file and swaps in what it says, after any reload already under way.
    func reload() async -> Outcome {
        await beginTurn()
        defer { endTurn() }
        return await load()
    }

    /// Swaps in `config` (already validated), after any reload already under way.
    func apply(_ config: GatehouseConfig) async -> Outcome {
        await beginTurn()
        defer { endTurn() }
        return await swapIn(config)
    }

    /// Returns once no other reload runs; the caller must `endTurn()`.
    private func beginTurn() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn to the oldest waiting reload (still busy), or ends it.
    private func endTurn() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }

    private func load() async -> Outcome {
        let metrics = state.metrics
        guard let path else {
            metrics.counter(GatehouseMetrics.Name.configReloads, ["result": "error"]).increment()
            return .rejected(problems: ["this server was started without a config file"])
        }
        let config: GatehouseConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            return reject(error.issues.map(\.description))
        }
        // What the file needs from the machine (a secret, a key file, the access log, origin
        // names), checked as `gatehouse check` and a start check it, so the log line says
        // `FILE:LINE: key: problem` here too and not the bare error of the runtime's build.
        let unmet = await ConfigPreflight.issues(
            of: config, file: path, environment: ProcessEnvironment.value(of:), resolver: state.resolver
        )
        guard unmet.isEmpty else { return reject(unmet.map(\.description)) }
        return await swapIn(config)
    }

    /// Counts, logs (one line per problem) and rejects a reload; the running config keeps serving.
    private func reject(_ problems: [String]) -> Outcome {
        state.metrics.counter(GatehouseMetrics.Name.configReloads, ["result": "error"]).increment()
        for problem in problems {
            state.logger.error("reload rejected: \(problem)")
        }
        reopenAccessLog()
        return .rejected(problems: problems)
    }

    /// A rejected reload still opens a file access log again: logrotate renames the file and
    /// sends SIGHUP whatever state the config file is in, and lines must not go on into the
    /// renamed file, which the next rotation compresses or deletes. Runs only within a turn.
    private func reopenAccessLog() {
        do {
            guard let reopened = try state.runtime.reopeningAccessLog(metrics: state.metrics) else { return }
            _ = state.runtimeBox.swap(reopened)
        } catch {
            state.logger.error("access log: cannot open it again; lines go on to the file it had open: \(error)")
        }
    }

    /// Builds the runtime for `file` from the current one, swaps it in and closes what the
    /// swap replaced and the new runtime does not reuse. Runs only within a turn.
    private func swapIn(_ file: GatehouseConfig) async -> Outcome {
        let previous = state.runtime
        // What cannot change without a restart keeps its running value: were the file's kept,
        // the summary would show an address not listened on, and the next reload would compare
        // with it (warning on a file put back, silent on the same change made again).
        let restartOnly = file.restartOnlyChanges(from: previous.config)
        let config = file.applyingReload(over: previous.config)
        let runtime: ProxyRuntime
        do {
            runtime = try await ProxyRuntime.build(
                config: config, group: state.group, metrics: state.metrics, logger: state.logger,
                resolver: state.resolver, previous: previous
            )
        } catch {
            return reject(["\(error)"])
        }
        if let redis = runtime.redis, redis !== previous.redis, !(await redis.waitUntilConnected()) {
            // A new client connects in the background, and until one connection is up every
            // command fails at once. Swapped in unconnected, it failed every request's Redis call
            // (503 under `on_store_error: deny`, cache misses) while the old client served fine,
            // so the swap waits for it; a Redis that is down must not hold the reload longer.
            state.logger.warning("reload: Redis is not reachable yet; serving per on_store_error until it is")
        }
        // What the swap replaced is what must be closed: with reloads one at a time it is
        // `previous`, but closing by what was actually replaced stays right regardless.
        let replaced = state.runtimeBox.swap(runtime)
        state.connectionLimiter.updateLimit(config.server.maxConnections)
        if let old = replaced.redis, old !== runtime.redis {
            // A request that took the old runtime just before the swap sends its rate-limit
            // check on the old client in that same turn of its event loop: one turn of every
            // loop later none is left to send it, and closing refuses nobody (503 under
            // `on_store_error: deny`). Later calls of requests still on the old runtime fail:
            // cache misses, stores skipped.
            for loop in state.group.makeIterator() {
                try? await loop.submit {}.get()
            }
            await old.close()
        }
        if runtime.pools !== replaced.pools {
            runtime.pools.startResolving(logger: state.logger)
            // Requests still on the old pools finish; their connections close when released.
            _ = replaced.pools.shutdown()
        }
        if !restartOnly.isEmpty {
            // The listeners are bound and the event loops made once, at start.
            state.logger.warning("reload: kept until a restart: \(restartOnly.joined(separator: "; "))")
        }
        state.metrics.counter(GatehouseMetrics.Name.configReloads, ["result": "success"]).increment()
        state.logger.info("config reloaded")
        return .reloaded(summary: config.summary)
    }
}
