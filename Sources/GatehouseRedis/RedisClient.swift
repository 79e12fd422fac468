// RedisClient: the pool of Redis connections the stores use; picks a connection and sends.
import Atomics
import GatehouseCore
import Logging
import NIOCore

/// A Redis client: `redis.pool_size` pipelined connections spread over the event loops.
///
/// Connections are made in the background and remade with backoff when they drop; while none is
/// up, commands fail at once with ``RedisError/unavailable`` instead of queueing. A command sent
/// from an event loop that owns a connection goes out on it without a thread hop or a lock.
/// Call ``close()`` at shutdown (dropping the last reference closes it too, without waiting).
public final class RedisClient: Sendable {
    /// The configuration the client was made from (stores read `keyPrefix` from it).
    public let config: RedisConfig
    private let group: any EventLoopGroup
    private let slots: [RedisConnectionSlot]
    /// Slot indices by event loop, for the no-hop path.
    private let slotsByLoop: [ObjectIdentifier: [RedisConnectionSlot]]
    private let cursor = ManagedAtomic<Int>(0)
    private let closed = ManagedAtomic<Bool>(false)
    let recorder: RedisEventRecorder
    let errorReplies: RedisErrorReplyLog
    /// How long one connection attempt may take.
    public let connectTimeout: TimeAmount

    /// Creates the client and starts connecting; returns at once (Redis may still be down).
    ///
    /// - Parameters:
    ///   - config: the `redis:` section (endpoint, pool size, command timeout).
    ///   - group: the event loops the connections live on, `pool_size` spread round robin.
    ///   - logger: connection state changes are logged here, and error replies at most once per
    ///     ``RedisErrorReplyLog/interval`` (not individual commands).
    ///   - onEvent: optional; called on an event loop for every connection and error event.
    public static func connect(
        config: RedisConfig,
        group: any EventLoopGroup,
        logger: Logger = Logger(label: "gatehouse.redis"),
        onEvent: (@Sendable (RedisClientEvent) -> Void)? = nil
    ) -> RedisClient {
        let client = RedisClient(config: config, group: group, logger: logger, onEvent: onEvent)
        for slot in client.slots {
            slot.start()
        }
        return client
    }

    private init(
        config: RedisConfig,
        group: any EventLoopGroup,
        logger: Logger,
        onEvent: (@Sendable (RedisClientEvent) -> Void)?
    ) {
        let poolSize = max(1, config.poolSize)
        let commandTimeout = TimeAmount(config.timeout)
        // A connect is one round trip more than a command; never let it be shorter than 1 s.
        let connectTimeout = max(commandTimeout, .seconds(1))
        let recorder = RedisEventRecorder(poolSize: poolSize, onEvent: onEvent)
        let slots = (0..<poolSize).map { index in
            RedisConnectionSlot(
                index: index,
                eventLoop: group.next(),
                endpoint: config.url,
                commandTimeout: commandTimeout,
                connectTimeout: connectTimeout,
                recorder: recorder,
                logger: logger
            )
        }
        self.config = config
        self.group = group
        self.slots = slots
        self.slotsByLoop = Dictionary(grouping: slots) { ObjectIdentifier($0.eventLoop) }
        self.recorder = recorder
        self.errorReplies = RedisErrorReplyLog(logger: logger)
        self.connectTimeout = connectTimeout
    }

    deinit {
        // A forgotten client must not keep reconnecting forever: its slots outlive it in timers.
        if !closed.load(ordering: .relaxed) {
            for slot in slots {
                _ = slot.close()
            }
        }
    }

    /// True while at least one connection is up (`gatehouse_redis_up`).
    public var isConnected: Bool { recorder.isConnected }

    /// Connection and error counters right now.
    public var stats: RedisClientStats { recorder.stats }

    /// Sends one command and returns its reply; error replies come back as ``RedisValue/error(_:)``.
    ///
    /// - Parameters:
    ///   - arguments: the command name and its arguments, binary-safe.
    ///   - eventLoop: where the future completes; when the caller runs on it and it owns a
    ///     connection, that connection is used (least busy first) with no thread hop.
    /// - Returns: the reply, or a failed future with a ``RedisError`` (never hangs past
    ///   `redis.timeout`).
    public func send(_ arguments: [RedisArgument], on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<RedisValue> {
        // Without a requested loop, the caller's own loop (if it is one of ours) is as good as any.
        let loop = eventLoop ?? group.any()
        if loop.inEventLoop, let slot = leastBusyLocalSlot(on: loop) {
            return slot.send(arguments)
        }
        if closed.load(ordering: .relaxed) {
            return failed(.clientClosed, on: loop)
        }
        guard let slot = upSlot(preferring: loop) else {
            return failed(.unavailable, on: loop)
        }
        let reply = slot.eventLoop.inEventLoop
            ? slot.send(arguments)
            : slot.eventLoop.flatSubmit { slot.send(arguments) }
        return eventLoop == nil ? reply : reply.hop(to: loop)
    }

    /// Waits until a connection is up, woken by the connection itself; false after `timeout`.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        let loop = group.any()
        let promise = loop.makePromise(of: Void.self)
        recorder.notifyWhenConnected(promise)
        let timer = loop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(RedisError.unavailable)
        }
        do {
            try await promise.futureResult.get()
            timer.cancel()
            return true
        } catch {
            recorder.forgetWaiter(promise.futureResult)
            return false
        }
    }

    /// Stops reconnecting and closes every connection after the replies in flight have arrived
    /// (QUIT, answered after them). Commands sent afterwards fail with ``RedisError/clientClosed``.
    public func close() -> EventLoopFuture<Void> {
        closed.store(true, ordering: .relaxed)
        let closing = slots.map { $0.close() }
        return EventLoopFuture.andAllComplete(closing, on: group.any())
    }
}

extension RedisClient {
    /// The up slot on the current loop with the fewest commands in flight (caller is on `loop`).
    private func leastBusyLocalSlot(on loop: any EventLoop) -> RedisConnectionSlot? {
        guard let local = slotsByLoop[ObjectIdentifier(loop)] else { return nil }
        var best: RedisConnectionSlot?
        var bestPending = Int.max
        for slot in local {
            let pending = slot.pendingCount
            if pending < bestPending {
                best = slot
                bestPending = pending
            }
        }
        return best
    }

    /// An up slot: one on `loop` if any, else the next up slot round robin.
    private func upSlot(preferring loop: any EventLoop) -> RedisConnectionSlot? {
        if let local = slotsByLoop[ObjectIdentifier(loop)], let slot = local.first(where: \.isUp) {
            return slot
        }
        let start = cursor.loadThenWrappingIncrement(ordering: .relaxed)
        for offset in 0..<slots.count {
            let slot = slots[(start &+ offset) % slots.count]
            if slot.isUp { return slot }
        }
        return nil
    }

    private func failed(_ error: RedisError, on loop: any EventLoop) -> EventLoopFuture<RedisValue> {
        recorder.commandFailed(error)
        return loop.makeFailedFuture(error)
    }
}
