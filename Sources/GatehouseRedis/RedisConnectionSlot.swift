// RedisConnectionSlot: one pool position that keeps a connection up, reconnecting with backoff.
import Atomics
import GatehouseCore
import Logging
import NIOCore

/// One of the pool's `pool_size` connections, pinned to one event loop.
///
/// Its phase lives on that loop (no lock); ``isUp`` is an atomic copy so a client on another
/// thread can skip a slot that is down without hopping to it.
final class RedisConnectionSlot: Sendable {
    private enum Phase: Sendable {
        case idle
        case connecting
        case connected(RedisConnection)
        /// Waiting out the backoff before the next attempt.
        case waiting(Scheduled<Void>)
        case closed
    }

    let index: Int
    let eventLoop: any EventLoop
    private let endpoint: RedisEndpoint
    private let commandTimeout: TimeAmount
    private let connectTimeout: TimeAmount
    private let recorder: RedisEventRecorder
    private let logger: Logger
    private let phase: NIOLoopBoundBox<Phase>
    private let backoff: NIOLoopBoundBox<RedisBackoff>
    /// Failures since the last success; only the first of a run is logged as a warning.
    private let failuresInARow: NIOLoopBoundBox<Int>
    private let up = ManagedAtomic<Bool>(false)

    init(
        index: Int,
        eventLoop: any EventLoop,
        endpoint: RedisEndpoint,
        commandTimeout: TimeAmount,
        connectTimeout: TimeAmount,
        recorder: RedisEventRecorder,
        logger: Logger
    ) {
        self.index = index
        self.eventLoop = eventLoop
        self.endpoint = endpoint
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout
        self.recorder = recorder
        var logger = logger
        logger[metadataKey: "redis.slot"] = "\(index)"
        self.logger = logger
        self.phase = .makeBoxSendingValue(.idle, eventLoop: eventLoop)
        self.backoff = .makeBoxSendingValue(RedisBackoff(), eventLoop: eventLoop)
        self.failuresInARow = .makeBoxSendingValue(0, eventLoop: eventLoop)
    }

    /// True while a handshaken connection is up.
    var isUp: Bool { up.load(ordering: .relaxed) }

    /// Starts the first connection attempt.
    func start() {
        eventLoop.execute { self.connect() }
    }

    /// Sends on this slot's connection, or fails fast when there is none (event loop only).
    func send(_ arguments: [RedisArgument]) -> EventLoopFuture<RedisValue> {
        switch phase.value {
        case .connected(let connection):
            return connection.send(arguments)
        case .closed:
            return failed(.clientClosed)
        case .idle, .connecting, .waiting:
            return failed(.unavailable)
        }
    }

    /// Commands in flight on this slot's connection; `Int.max` when it is down (event loop only).
    var pendingCount: Int {
        guard case .connected(let connection) = phase.value else { return Int.max }
        return connection.pendingCount
    }

    /// Stops reconnecting and closes the connection once the replies in flight have arrived.
    func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            let previous = self.phase.value
            self.phase.value = .closed
            switch previous {
            case .connected(let connection):
                self.markDown()
                return connection.quit()
            case .waiting(let scheduled):
                scheduled.cancel()
            case .idle, .connecting, .closed:
                // A connection still being made is closed when it completes (see `connected`).
                break
            }
            return self.eventLoop.makeSucceededVoidFuture()
        }
    }
}

extension RedisConnectionSlot {
    private func connect() {
        switch phase.value {
        case .idle, .waiting:
            break
        case .connecting, .connected, .closed:
            return
        }
        phase.value = .connecting
        RedisConnection.connect(
            to: endpoint,
            on: eventLoop,
            commandTimeout: commandTimeout,
            connectTimeout: connectTimeout,
            recorder: recorder
        ).whenComplete { result in
            switch result {
            case .success(let connection):
                self.connected(connection)
            case .failure(let error):
                self.connectFailed(error as? RedisError ?? .connectFailed(String(describing: error)))
            }
        }
    }

    private func connected(_ connection: RedisConnection) {
        guard case .connecting = phase.value else {
            connection.close()
            return
        }
        phase.value = .connected(connection)
        backoff.value.reset()
        if failuresInARow.value > 0 {
            logger.info("Redis connection restored", metadata: ["redis.failed_attempts": "\(failuresInARow.value)"])
        }
        failuresInARow.value = 0
        up.store(true, ordering: .relaxed)
        recorder.connected(slot: index)
        connection.closeFuture.whenComplete { _ in
            self.connectionClosed(connection)
        }
        connection.startHeartbeat()
    }

    private func connectFailed(_ error: RedisError) {
        recorder.connectFailed(slot: index, error: error)
        guard case .connecting = phase.value else { return }
        failuresInARow.value += 1
        let level: Logger.Level = failuresInARow.value == 1 ? .warning : .debug
        logger.log(level: level, "Redis connection attempt failed", metadata: ["error": "\(error)"])
        scheduleReconnect()
    }

    private func connectionClosed(_ connection: RedisConnection) {
        guard case .connected(let current) = phase.value, current === connection else { return }
        markDown()
        logger.warning("Redis connection lost; reconnecting")
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        let delay = backoff.value.nextDelay()
        phase.value = .waiting(eventLoop.scheduleTask(in: delay) { self.connect() })
    }

    private func markDown() {
        guard up.exchange(false, ordering: .relaxed) else { return }
        recorder.disconnected(slot: index)
    }

    private func failed(_ error: RedisError) -> EventLoopFuture<RedisValue> {
        recorder.commandFailed(error)
        return eventLoop.makeFailedFuture(error)
    }
}
