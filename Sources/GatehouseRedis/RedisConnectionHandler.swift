// RedisConnectionHandler: pipelines commands on one channel and matches replies to them in order.
import NIOCore

/// The only handler of a Redis connection's pipeline.
///
/// Commands come in through ``send(_:promise:)`` (called by ``RedisConnection`` on the event loop)
/// rather than through the pipeline, which saves boxing each one in `NIOAny`. Replies are decoded by
/// a ``HiredisReader`` and complete the oldest pending command: Redis answers in order. A reply that
/// is late, unparsable or unasked for means the FIFO can no longer be trusted, so the connection
/// fails everything pending and closes itself; its owner replaces it.
final class RedisConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Not yet added to a pipeline.
        case idle
        /// Usable: commands are written and replies parsed.
        case open(ChannelHandlerContext, HiredisReader)
        /// Closed or broken; the reader is released (freeing its C memory) with this transition.
        case closed
    }

    private var state: State = .idle
    private var pending = CircularBuffer<RedisPendingCommand>(initialCapacity: 16)
    /// At most one timer: it fires at the oldest command's deadline and re-arms for the next one.
    private var deadlineTimer: Scheduled<Void>?
    /// Writes made in one event-loop tick share one flush (one syscall for a burst of commands).
    private var flushScheduled = false
    private let commandTimeout: TimeAmount
    private let recorder: RedisEventRecorder

    init(commandTimeout: TimeAmount, recorder: RedisEventRecorder) {
        self.commandTimeout = commandTimeout
        self.recorder = recorder
    }

    /// Commands written and not yet answered.
    var pendingCount: Int { pending.count }

    /// Encodes and writes `arguments`; `promise` gets the reply or the reason there is none.
    func send(_ arguments: [RedisArgument], promise: EventLoopPromise<RedisValue>) {
        guard case .open(let context, _) = state else {
            fail(promise, with: .connectionClosed)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 0)
        do {
            try RedisCommandEncoder.encode(arguments, into: &buffer)
        } catch {
            fail(promise, with: error)
            return
        }
        pending.append(RedisPendingCommand(promise: promise, deadline: .now() + commandTimeout))
        context.write(wrapOutboundOut(buffer), promise: nil)
        scheduleFlush(context)
        armDeadlineTimer(context)
    }
}

extension RedisConnectionHandler {
    func handlerAdded(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        do {
            state = .open(context, try HiredisReader(allocator: context.channel.allocator))
        } catch {
            state = .closed
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shutDown(first: .connectionClosed, rest: .connectionClosed, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .open(_, let reader) = state else { return }
        do throws(RedisError) {
            try reader.feed(unwrapInboundIn(data))
            // A reply's callbacks may send more commands or close us: re-check the state each time.
            while case .open = state, let value = try reader.next() {
                guard let command = pending.popFirst() else {
                    throw RedisError.protocolError("reply without a pending command")
                }
                command.promise.succeed(value)
                if value.isReadOnlyRefusal {
                    // A failover made this Redis a replica: every write here fails from now on,
                    // and the new primary (where the URL's name points now, or a restarted
                    // primary) is reached only by connecting again.
                    shutDown(first: .connectionClosed, rest: .connectionClosed, context: context)
                }
            }
        } catch {
            shutDown(first: error, rest: .connectionClosed, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        shutDown(first: .connectionClosed, rest: .connectionClosed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shutDown(first: .connectionClosed, rest: .connectionClosed, context: context)
    }
}

extension RedisConnectionHandler {
    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            if case .open(let context, _) = self.state {
                context.flush()
            }
        }
    }

    private func armDeadlineTimer(_ context: ChannelHandlerContext) {
        guard deadlineTimer == nil, let oldest = pending.first else { return }
        deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: oldest.deadline) {
            self.deadlineTimer = nil
            self.checkDeadline()
        }
    }

    private func checkDeadline() {
        guard case .open(let context, _) = state, let oldest = pending.first else { return }
        if oldest.deadline <= .now() {
            shutDown(first: .timeout, rest: .connectionClosed, context: context)
        } else {
            armDeadlineTimer(context)
        }
    }

    /// Fails the oldest pending command with `first` and the others with `rest`, then closes.
    private func shutDown(first: RedisError, rest: RedisError, context: ChannelHandlerContext) {
        guard case .open = state else { return }
        // Set before failing promises: their callbacks may send again and must see a closed handler.
        state = .closed
        deadlineTimer?.cancel()
        deadlineTimer = nil
        var error = first
        while let command = pending.popFirst() {
            fail(command.promise, with: error)
            error = rest
        }
        context.close(promise: nil)
    }

    private func fail(_ promise: EventLoopPromise<RedisValue>, with error: RedisError) {
        recorder.commandFailed(error)
        promise.fail(error)
    }
}
