// UpstreamHandler: the last handler of an upstream connection; relays the response to its delegate.
import GatehouseCore
import NIOCore

/// Reads one response at a time off the connection's bytes (`UpstreamResponseParser`) and relays
/// it to the downstream side, pauses reads while the client cannot take more (backpressure), and
/// enforces `upstream.response_timeout`: from the end of the request to the head and between
/// reads after it (nginx's `proxy_read_timeout`), except while reads are paused for the client,
/// who is then the one waited for (`ConnectionGuard` bounds it); and, while the request body is
/// written, between steps of progress whenever the origin is not taking it (`proxy_send_timeout`).
final class UpstreamHandler {
    enum State {
        /// In the pool or between exchanges; any byte from the server now is an error.
        case idle
        /// The request is being written: its body comes at the client's pace, which the client's
        /// side bounds (`server.min_body_rate`), so no response timeout runs yet. While the
        /// connection is not writable the origin is the one holding the body up, and must take
        /// some of it within `responseTimeout`. `ended`: all of it was written, but some is still
        /// queued here (the response timeout starts once the connection is writable again).
        case sendingRequest(ended: Bool)
        /// Request sent; waiting for the head.
        case awaitingHead
        /// Head relayed; body parts follow.
        case streamingBody
        case closed
    }

    private(set) var state: State = .idle
    private var parser = UpstreamResponseParser()
    /// The exchange in progress, held only while it runs: cleared at its end, on failure and when
    /// this handler leaves the pipeline. Not `weak`: a weak reference gives the delegate (the
    /// client's ProxyHandler) a side table, and then every retain of it takes the slow path,
    /// including the one NIO makes on each event it delivers (~1 % of a request's CPU).
    private(set) var delegate: (any UpstreamResponseDelegate)?
    private let responseTimeout: TimeAmount
    /// When the wait for the server's next bytes ends; nil between exchanges.
    private var deadline: NIODeadline?
    /// One timer that fires at most `responseTimeout` after it was set and re-arms itself until
    /// the deadline, so each read moves the deadline with a store instead of a cancel and a
    /// schedule on the event loop's timer heap.
    private var timer: Scheduled<Void>?
    /// Request bytes still queued here when the send timeout last looked (see `sendStalled`).
    private var unsentAtLastLook = 0
    private var readsPaused = false
    /// Whether reads wait on the client (`pauseReads`).
    var readsArePaused: Bool { readsPaused }
    private var readPending = false
    private var context: ChannelHandlerContext?
    /// Sends a request that fits in one buffer past NIO's write path.
    private var directSend = DirectSend()
    /// Whether the last response allows the connection to be reused.
    private(set) var lastResponseKeepAlive = true
    /// How long (seconds) the last response said the origin keeps the connection open idle.
    var announcedIdleTimeout: Int64? { parser.keepAliveTimeout }

    init(responseTimeout: TimeAmount) {
        self.responseTimeout = responseTimeout
    }

    /// Starts an exchange: the request head is about to be written.
    func beginExchange(delegate: any UpstreamResponseDelegate) {
        self.delegate = delegate
        self.state = .sendingRequest(ended: false)
        self.lastResponseKeepAlive = true
        if context?.channel.isWritable == false {
            startSendTimeout()  // still full of the last request: no writability change will come
        }
    }

    /// The whole request was written (for a request without a body, just after its head): the
    /// response timeout starts, or, while the origin has yet to take what is queued, once it has.
    func requestWritten() {
        guard case .sendingRequest = state else { return }  // the response came first (an early answer)
        if context?.channel.isWritable ?? true {
            awaitResponse()
        } else {
            state = .sendingRequest(ended: true)
        }
    }

    private func awaitResponse() {
        state = .awaitingHead
        armTimeout()
    }

    /// The request head is being written: its response is next. A response to HEAD has no body,
    /// whatever its length fields say.
    func requestSent(isHEAD: Bool) {
        parser.expectResponse(toHEAD: isHEAD)
    }

    /// Ends the delegate's interest (response complete or abandoned).
    func endExchange() {
        delegate = nil
        cancelTimeout()
        if case .closed = state { return }
        state = .idle
        resumeReads()
    }

    /// Downstream backpressure: stop reading the upstream socket while the client is slow. The
    /// response's clock stands still meanwhile: the origin is not being waited for.
    func pauseReads() {
        readsPaused = true
        if isAwaitingResponse {
            cancelTimeout()
        }
    }

    func resumeReads() {
        guard readsPaused else { return }
        readsPaused = false
        if isAwaitingResponse {
            armTimeout()
        }
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    /// Whether the response timeout is the one that runs (not the send timeout, nor none).
    private var isAwaitingResponse: Bool {
        switch state {
        case .awaitingHead, .streamingBody: true
        case .idle, .sendingRequest, .closed: false
        }
    }

    private func armTimeout() {
        if readsPaused && isAwaitingResponse {
            return  // the client is being waited for: see `pauseReads`
        }
        let now = NIODeadline.now()
        deadline = now + responseTimeout
        // A running timer fires within `responseTimeout` of when it was set: never after this deadline.
        if timer == nil {
            schedule(at: now + responseTimeout)
        }
    }

    private func schedule(at time: NIODeadline) {
        guard let context else { return }
        // Held strongly until it fires (once more at most after the exchange) or `handlerRemoved`
        // cancels it; weakly, it would give this handler a side table (see `delegate`).
        timer = context.eventLoop.scheduleTask(deadline: time) { [self] in
            timerFired()
        }
    }

    private func cancelTimeout() {
        deadline = nil
    }

    private func timerFired() {
        timer = nil
        guard let deadline else { return }  // between exchanges: the next one sets it again
        let now = NIODeadline.now()
        guard now >= deadline else {
            schedule(at: deadline)
            return
        }
        timedOut()
    }

    private func timedOut() {
        self.deadline = nil
        switch state {
        case .sendingRequest:
            sendStalled()
        case .awaitingHead, .streamingBody:
            fail(.responseTimeout)
        case .idle, .closed:
            break
        }
    }

    /// The origin has not taken the request body: `responseTimeout` passed since the connection
    /// filled up, or since the last look. Less queued than then means it took some meanwhile.
    private func sendStalled() {
        let unsent = unsentBytes
        if unsent == 0 {
            // All of it was taken (the writability change is on its way): nothing is held up.
            if case .sendingRequest(ended: true) = state {
                awaitResponse()
            }
            return
        }
        guard unsent < unsentAtLastLook else {
            fail(.sendTimeout)
            return
        }
        unsentAtLastLook = unsent
        armTimeout()
    }

    private func startSendTimeout() {
        unsentAtLastLook = unsentBytes
        armTimeout()
    }

    /// Bytes written to the connection that the socket has not taken yet.
    private var unsentBytes: Int {
        (try? context?.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// Writes request bytes from this handler's place in the pipeline: a write through the
    /// channel would start at the tail and pass through this handler first, one hop more.
    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Writes and flushes `buffer`: past NIO when it holds nothing for the connection (see
    /// `DirectSend`), else (and whatever the socket did not take) through it.
    func writeAndFlush(_ buffer: ByteBuffer) {
        guard let context else { return }
        directSend.writeAndFlush(buffer, context: context)
    }

    private func fail(_ failure: UpstreamFailure) {
        let delegate = self.delegate
        self.delegate = nil
        state = .closed
        cancelTimeout()
        context?.close(promise: nil)
        delegate?.upstreamFailed(failure)
    }
}

extension UpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    /// Requests pass by as bytes (`UpstreamConnection` encodes them).
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimeout()
        timer?.cancel()
        timer = nil
        delegate = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        do {
            while true {
                let event = try parser.next(&buffer)
                if parser.takeContinue() {
                    delegate?.upstreamReceivedContinue()  // before the head read with it, if any
                }
                guard let event else { return }
                guard relay(event, bytesAfter: buffer.readableBytes) else { return }
            }
        } catch {
            // Bytes nobody asked for (data on an idle connection) or a malformed response.
            fail(.invalidResponse(String(describing: error)))
        }
    }

    /// Hands one parsed event to the delegate; false once the connection is done with.
    private func relay(_ event: UpstreamResponseParser.Event, bytesAfter: Int) -> Bool {
        switch (state, event) {
        case (.awaitingHead, .head(let head)), (.sendingRequest, .head(let head)):
            state = .streamingBody
            lastResponseKeepAlive = head.isKeepAlive && !parser.isReadingUntilClose && parser.framingAllowsReuse
            armTimeout()
            delegate?.upstreamReceivedHead(head)
        case (.streamingBody, .body(let buffer)):
            armTimeout()
            delegate?.upstreamReceivedBody(buffer)
        case (.streamingBody, .end):
            // Bytes past the end of the response, before the next request: never reuse it.
            if bytesAfter > 0 {
                lastResponseKeepAlive = false
            }
            responseEnded()
        case (.closed, _):
            return false
        default:
            fail(.invalidResponse("unexpected response part in state \(state)"))
            return false
        }
        return true
    }

    private func responseEnded() {
        cancelTimeout()
        let delegate = self.delegate
        state = .idle
        self.delegate = nil
        delegate?.upstreamReceivedEnd()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .sendingRequest, .awaitingHead:
            fail(.connectionClosed(beforeResponseHead: true))
        case .streamingBody:
            if case .end = parser.connectionClosed() {
                responseEnded()  // a body without a length ends here
                state = .closed
            } else {
                fail(.connectionClosed(beforeResponseHead: false))
            }
        case .idle:
            state = .closed
        case .closed:
            break
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .sendingRequest, .awaitingHead, .streamingBody:
            fail(.connectionClosed(beforeResponseHead: !state.isStreamingBody))
        case .idle:
            state = .closed
            context.close(promise: nil)
        case .closed:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .sendingRequest(let ended) = state {
            sendingWritabilityChanged(isWritable: context.channel.isWritable, ended: ended)
        }
        delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    /// While the request is written: a full connection is the origin's delay, timed from now; once
    /// it drains, the client's pace rules again, or, the request being all written, the response
    /// timeout starts.
    private func sendingWritabilityChanged(isWritable: Bool, ended: Bool) {
        if !isWritable {
            startSendTimeout()
        } else if ended {
            awaitResponse()
        } else {
            cancelTimeout()
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            readPending = true
        } else {
            context.read()
        }
    }
}

extension UpstreamHandler.State {
    var isStreamingBody: Bool {
        if case .streamingBody = self { return true }
        return false
    }
}
