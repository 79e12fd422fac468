// ProxyHandler+ChannelHandler: one client connection's channel events — reads, writability, half-close, errors — turned into request parts and flow control.
import GatehouseCore
import NIOCore

extension ProxyHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connectionGuard.attach(to: context)
        // Strong, not weak (a weak reference gives this handler a side table, and every retain
        // of it the slow path); `detach` in `handlerRemoved` drops it.
        connectionGuard.onTimeoutRefusal = { [self] error in recordRefusal(error) }
        connectionGuard.onRequestBodyTimeout = { [self] in requestBodyTimedOut() }
        stallWatch.isStalled = { [self] in isResponseStalled }
        stallWatch.onStalled = { [self] in closeConnection() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionGuard.detach()
        stallWatch.detach()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        connectionGuard.channelActive()
        context.fireChannelActive()
    }

    /// A refusal (`HTTPSyntaxError`: 400, or 431 when too large) comes after the parts of the
    /// requests before it; nothing after it is read.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard connectionGuard.bytesArrived() else { return }  // refused: nothing more is parsed
        var buffer = unwrapInboundIn(data)
        if unparsed != nil {
            // The queue is full (a later buffer of the same read): these bytes wait behind the others.
            hold(buffer, context: context)
            return
        }
        do {
            while let part = try requestParser.next(&buffer) {
                guard received(part, context: context) else {
                    hold(buffer, context: context)
                    return
                }
            }
        } catch let error as HTTPSyntaxError {
            refuse(error)
        } catch {
            closeConnection()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .forwarding(_, let upstream) = state {
            upstream.flushIfNeeded()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if shouldPauseClientReads {
            readPending = true
            connectionGuard.clientReadsPaused()  // a body's clock stands still meanwhile
        } else {
            context.read()
        }
    }

    /// A slow client pauses reading its upstream response (bounded memory for any body), except
    /// while that response is captured for the cache: the capture holds all of it anyway (at
    /// most `max_object_size`), and the requests waiting on this fetch (single flight) and the
    /// origin connection should not wait for whoever happened to ask first — a phone on a slow
    /// link, or a client that never reads (nginx's buffering and Varnish's fetch, apart from
    /// delivery, do the same). The client's unsent bytes are then bounded by the same size (at
    /// the peak, with the capture, twice `max_object_size` for such a connection).
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            // Whatever the state: a stall being watched may outlast the exchange it began in.
            stallWatch.clientResumed()
        }
        if case .forwarding(let request, let upstream) = state {
            if context.channel.isWritable {
                upstream.handler.resumeReads()
            } else if request.cache?.isCapturing != true {
                pauseUpstreamReads(upstream, context: context)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// The capture ended before the response (it outgrew `max_object_size`): a slow client paces
    /// the origin again.
    func captureAbandoned() {
        if let context, !context.channel.isWritable, case .forwarding(_, let upstream) = state {
            pauseUpstreamReads(upstream, context: context)
        }
    }

    /// The client cannot take more: the origin waits for it, and the client is on the clock.
    func pauseUpstreamReads(_ upstream: UpstreamConnection, context: ChannelHandlerContext) {
        upstream.handler.pauseReads()
        stallWatch.clientStopped(context: context)
    }

    /// Whether the exchange in progress waits on the client taking its response.
    var isResponseStalled: Bool {
        guard case .forwarding(_, let upstream) = state else { return false }
        return upstream.handler.readsArePaused
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionGuard.channelInactive()
        pipelined.removeAll()
        unparsed = nil
        // The client left: an unfinished exchange leaves its upstream connection in an unknown state.
        switch state {
        case .forwarding(let request, let upstream):
            abandon(request, upstream: upstream)
            record(request, clientClosed: true)
        case .connecting(let request):
            abandon(request, upstream: nil)
            record(request, clientClosed: true)
        case .idle, .respondingLocally, .closed:
            break
        }
        state = .closed
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            inputClosed = true
            // Bytes still held unparsed came before the FIN: it is dealt with once they are parsed.
            if unparsed == nil {
                inputEnded()
            }
            return
        }
        if event is DrainDeadline {
            drainDeadlinePassed()
            return
        }
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Draining: a busy connection closes after its current exchange. An idle one may
        // already hold the next request unread in its socket (a busy event loop has not got to
        // it yet); closing now would reset it unanswered. So it reads on for a short grace and
        // answers what arrives with `Connection: close`, and closes if nothing does.
        quiescing = true
        guard isIdle else { return }
        closeUnlessARequestArrives(context: context)
    }

    /// Reads on for `drainGrace` and closes if no request came meanwhile; one that does is
    /// answered with `Connection: close` (every response of a quiescing connection is). The
    /// grace starts once the last response has gone into the socket: a client still taking a
    /// large one has not had the chance to send its next request.
    func closeUnlessARequestArrives(context: ChannelHandlerContext) {
        context.read()
        // Held strongly for the grace (a weak capture would give this handler a side table).
        // An empty write completes after every write before it.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { [self] _ in
            context.eventLoop.scheduleTask(in: Self.drainGrace) { [self] in
                // A head half received is a request on its way: `read_header_timeout` (and
                // `drain_timeout`) bound the wait for the rest.
                guard isIdle, !requestParser.isInsideRequest else { return }
                closeAfterPendingWrites()
            }
        }
    }

    /// The drain ran out of time (`DrainDeadline`). A request still waiting for its response
    /// (for a connection, a store, the origin's head) is answered 503 and the connection closes
    /// once that is written: an answer the client can act on (retry elsewhere), where a bare
    /// close leaves it guessing whether the request ran. A response under way is cut, and
    /// logged with the status it had; an idle
    /// connection, or one dropping the body of a request already answered, closes.
    func drainDeadlinePassed() {
        let unanswered: (InFlightRequest, UpstreamConnection?)? = switch state {
        case .connecting(let request): (request, nil)
        case .forwarding(let request, let upstream): (request, upstream)
        case .idle, .respondingLocally, .closed: nil
        }
        guard let (request, upstream) = unanswered, !request.responseStarted else {
            closeConnection()
            return
        }
        abandon(request, upstream: upstream)
        respondLocally(GatehouseError(.unavailable, "Gatehouse is shutting down"), request: request, closeAfter: true)
    }

    /// The client sent FIN and every byte before it has been parsed.
    func inputEnded() {
        if requestParser.isInsideRequest {
            // FIN inside a request: its head or body can never be completed (NIO's decoder
            // refused this too).
            refuse(HTTPSyntaxError("connection closed inside a request"))
        }
        if case .closed = state { return }  // refused, or closing after the answer it had
        if isIdle && pipelined.isEmpty {
            closeAfterPendingWrites()
        } else if pipelined.isEmpty && !currentRequestEnded {
            // The request's body can never be completed.
            closeConnection()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // I/O errors (reset by peer and such): nothing useful can be written any more, and the
        // client is gone as surely as after a FIN (channelInactive), so it is logged alike.
        closeConnection(clientClosed: true)
    }

    var shouldPauseClientReads: Bool {
        if !pipelined.isEmpty || unparsed != nil { return true }
        return switch state {
        case .connecting(let request):
            // A body still to come waits, bounded, in `pendingBody` until there is an upstream.
            // Once the request has ended only a pipelined request can arrive, and it pauses
            // reads itself (above); holding reads here instead made NIO drop and re-arm its
            // interest in the socket (two epoll_ctl calls) for every request that waits on a
            // remote store.
            !request.requestEnded
        case .forwarding(_, let upstream):
            !upstream.channel.isWritable
        case .idle, .respondingLocally, .closed:
            false
        }
    }

    func resumeClientReadsIfPossible() {
        guard readPending, !shouldPauseClientReads, let context else { return }
        readPending = false
        context.read()
        connectionGuard.clientReadsResumed()
    }
}
