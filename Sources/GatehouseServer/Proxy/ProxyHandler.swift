// ProxyHandler: one client connection's requests, forwarded to upstream with streaming and backpressure.
import Foundation
import GatehouseCore
import Logging
import NIOCore
import NIOHTTP1

/// Handles the requests of one client connection in order: reads them off the connection's
/// bytes (`ClientRequestParser`), validates each head, forwards it
/// through the event loop's upstream pool, and streams both bodies. Reads from the client pause
/// while the upstream socket is full, and upstream reads pause while the client is slow, so a
/// body of any size passes in bounded memory (swift-nio-examples' GlueHandler, per request).
final class ProxyHandler {
    enum State {
        /// No request in progress.
        case idle
        /// Head accepted; waiting for the stages before the upstream (rate limit) and a connection.
        /// Client reads pause meanwhile.
        case connecting(InFlightRequest)
        /// Exchanging with an upstream connection.
        case forwarding(InFlightRequest, UpstreamConnection)
        /// Answering the request locally (an error); the rest of its body is ignored.
        case respondingLocally(InFlightRequest)
        case closed
    }

    var state: State = .idle
    let serverState: ServerState
    /// The connection's idle and header timeouts and its raw refusals, told of every read.
    private let connectionGuard: ConnectionGuard
    /// Bounds a client that takes nothing of a relayed response (the origin is not charged then).
    private let stallWatch: ResponseStallWatch
    let recorder: RequestMetricsRecorder
    /// This loop's backstop on remote store calls.
    let storeDeadlines: StoreDeadlines
    /// This loop's buffer for response heads.
    private let headBuffer: HeadBuffer
    var context: ChannelHandlerContext?
    /// A `read` the channel asked for while forwarding was paused.
    private(set) var readPending = false
    private let peerAddress: String
    private let peerIP: IPAddress?
    /// Reads the requests off the connection's bytes. Here rather than in a decoder handler in
    /// front: each request part passed between two handlers cost a pipeline hop and an `NIOAny`
    /// wrapped and unwrapped (measured: ~7 % less user CPU per proxied request without them).
    private var requestParser: ClientRequestParser
    /// The rate-limit stage's arrays and client keys, reused by each request of this connection.
    private var rateLimitWorkspace = RateLimitWorkspace()
    private var requestIDs = RequestIDGenerator()
    /// Frames the current response's bytes (NIO's response encoder is not in this pipeline).
    var encoder = DownstreamResponseEncoder()
    /// Pipelined requests (and a parse error among them) that arrived while an earlier request
    /// was in progress; delivered in order once it is answered. At most `maxQueuedParts`: the
    /// bytes after those stay in `unparsed`.
    private(set) var pipelined = CircularBuffer<PipelinedEvent>()
    /// Bytes read behind a full `pipelined`, parsed as it empties. Client reads pause while any
    /// wait, so this holds at most one read's worth (NIO reads up to `maxMessagesPerRead`
    /// buffers before it asks again). A parsed head costs about ten times the bytes it came
    /// in (its fields, their strings): parsing a whole read of small pipelined requests
    /// behind one the origin was slow to answer held over 1 MB per connection.
    private(set) var unparsed: ByteBuffer?
    /// `Date` for the answers that carry none (see `DateFieldCache`).
    private var dateField = DateFieldCache()
    /// The access log's name for this connection's user (a digest, made once per user).
    private var loggedUserName = AccessLogUserName()
    private var deliveringPipelined = false
    /// The server is draining: every response says `Connection: close`, and the connection
    /// closes once one has gone out (or after a grace, when none is owed).
    private var quiescing = false
    /// The client half-closed (sent FIN): what it sent is answered, then the connection closes.
    private var inputClosed = false
    /// Response bytes written to the client since the last flush. A flush with nothing to send
    /// still walks the pipeline, and the end of each response is flushed at once anyway.
    private var clientWritesUnflushed = false
    /// A relayed response's head, not yet written: see `upstreamReceivedHead`.
    private var heldHead: ByteBuffer?
    /// The write whose response waits, written but unflushed, for its cache invalidation (see
    /// `holdResponse(until:request:)`), and whether its end came meanwhile.
    private var heldForInvalidation: (request: InFlightRequest, ended: Bool)?

    enum PipelinedEvent {
        case part(HTTPServerRequestPart)
        case parseError(HTTPSyntaxError)
    }

    init(
        serverState: ServerState, recorder: RequestMetricsRecorder, storeDeadlines: StoreDeadlines,
        headBuffer: HeadBuffer, peer: SocketAddress?
    ) {
        let server = serverState.runtime.config.server
        self.serverState = serverState
        self.connectionGuard = ConnectionGuard(
            idleTimeout: TimeAmount(server.idleTimeout), readHeaderTimeout: TimeAmount(server.readHeaderTimeout),
            minBodyRate: server.minBodyRate
        )
        self.stallWatch = ResponseStallWatch(interval: TimeAmount(server.idleTimeout))
        self.recorder = recorder
        self.storeDeadlines = storeDeadlines
        self.headBuffer = headBuffer
        self.peerIP = peer.flatMap { IPAddress($0) }
        self.peerAddress = peerIP?.description ?? "unknown"
        self.requestParser = ClientRequestParser(maxHeadBytes: server.maxHeaderBytes)
    }
}

// MARK: - Client side

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

    /// Delivers `part`, or queues it behind the request in progress; false when the queue is
    /// full and parsing must stop.
    private func received(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) -> Bool {
        if case .closed = state { return true }  // dropped
        var isHead = false
        if case .head = part { isHead = true }
        if !pipelined.isEmpty || (isHead && !isIdle) {
            pipelined.append(.part(part))
            return pipelined.count < Self.maxQueuedParts
        }
        deliver(part, context: context)
        return true
    }

    /// Keeps `buffer`'s bytes unparsed behind a full queue, copied: a slice would pin NIO's
    /// pooled receive buffer, which is larger than what is left of it. Held even when empty:
    /// the rest of the same read (NIO's next buffers) is then held too, not parsed.
    private func hold(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if case .closed = state { return }
        var buffer = buffer
        var held = unparsed ?? context.channel.allocator.buffer(capacity: buffer.readableBytes)
        unparsed = nil  // one reference while it grows
        held.writeBuffer(&buffer)
        unparsed = held
    }

    /// Parses held bytes into the queue (never delivering them itself: `deliverPipelined`
    /// does, in order) until it is full again; what is left stays held.
    private func parseHeldBytes() {
        guard var bytes = unparsed else { return }
        unparsed = nil
        do {
            while pipelined.count < Self.maxQueuedParts, let part = try requestParser.next(&bytes) {
                pipelined.append(.part(part))
            }
        } catch let error as HTTPSyntaxError {
            pipelined.append(.parseError(error))  // nothing after it is read
            return
        } catch {
            closeConnection()
            return
        }
        if bytes.readableBytes > 0 {
            unparsed = bytes
        } else if inputClosed {
            inputEnded()  // the FIN came after these bytes
        }
    }

    /// Requests (their heads, body parts and ends) read and queued behind the one in progress
    /// before the rest of a read is left unparsed: five small pipelined requests or so.
    static let maxQueuedParts = 16

    private func deliver(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receivedHead(head, context: context)
        case .body(let buffer):
            receivedBody(buffer, context: context)
        case .end:
            receivedEnd(context: context)
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
    private func pauseUpstreamReads(_ upstream: UpstreamConnection, context: ChannelHandlerContext) {
        upstream.handler.pauseReads()
        stallWatch.clientStopped(context: context)
    }

    /// Whether the exchange in progress waits on the client taking its response.
    private var isResponseStalled: Bool {
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
    private func closeUnlessARequestArrives(context: ChannelHandlerContext) {
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

    /// The client sent FIN and every byte before it has been parsed.
    private func inputEnded() {
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
        // I/O errors (reset by peer and such): nothing useful can be written any more.
        closeConnection()
    }

    /// Bytes that are no request: refused in turn after a complete request still being answered.
    private func refuse(_ parserError: HTTPSyntaxError) {
        if !pipelined.isEmpty || currentRequestEnded {
            pipelined.append(.parseError(parserError))
            return
        }
        refuseMalformed(parserError)
    }

    private func refuseMalformed(_ parserError: HTTPSyntaxError) {
        let refusal = Self.refusal(for: parserError)
        // A request whose body turned out malformed (or cut) is refused as itself: its own
        // access-log line, and out of the in-flight gauge.
        var refused: InFlightRequest?
        switch state {
        case .forwarding(let request, let upstream):
            abandon(request, upstream: upstream)
            if request.responseStarted {
                closeConnection()
                return
            }
            refused = request
        case .connecting(let request):
            abandon(request, upstream: nil)
            refused = request
        case .respondingLocally:
            // The request has its answer (a 429, a 401, an origin's early one) and is counted;
            // its body, read to be dropped, turned out malformed or cut. A second response to
            // it would be one too many, and a refusal counted for it a request that never was:
            // the connection just closes once the answer has gone out (as nginx does).
            closeAfterPendingWrites()
            return
        case .idle, .closed:
            break
        }
        if case .closed = state { return }
        state = .closed
        if let refused {
            refused.status = refusal.status
            record(refused)
        } else {
            recordRefusal(refusal)
        }
        connectionGuard.refuse(refusal)
    }

    private var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// Whether the request in progress has been read to its end (later bytes are another request's).
    private var currentRequestEnded: Bool {
        switch state {
        case .connecting(let request), .forwarding(let request, _), .respondingLocally(let request):
            request.requestEnded
        case .idle, .closed:
            false
        }
    }

    /// Hands queued pipelined requests over, in order, while the connection is ready for them.
    private func deliverPipelined() {
        guard !deliveringPipelined, let context else { return }
        deliveringPipelined = true
        defer { deliveringPipelined = false }
        while true {
            if case .closed = state {
                pipelined.removeAll()
                unparsed = nil
                return
            }
            if pipelined.isEmpty {
                guard unparsed != nil else { return }  // the usual case: nothing queued, nothing held
                parseHeldBytes()
            }
            guard let next = pipelined.first else { return }
            let ready: Bool
            switch next {
            case .part(.head):
                ready = isIdle  // the next request waits for the current one
            case .part:
                ready = true  // the rest of the request just delivered
            case .parseError:
                ready = isIdle || !currentRequestEnded
            }
            guard ready else { return }
            pipelined.removeFirst()
            switch next {
            case .part(let part):
                deliver(part, context: context)
            case .parseError(let error):
                refuseMalformed(error)
            }
        }
    }

    private static func refusal(for error: HTTPSyntaxError) -> GatehouseError {
        error.isTooLarge
            ? GatehouseError(.headersTooLarge, "Request header fields too large", cause: error)
            : GatehouseError(.badRequest, "Malformed HTTP request", cause: error)
    }

    private var shouldPauseClientReads: Bool {
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

// MARK: - Request stages

extension ProxyHandler {
    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch state {
        case .idle:
            break
        case .closed:
            return  // the connection ends after the current response; later pipelined requests are dropped
        case .connecting, .forwarding, .respondingLocally:
            // The pipelining handler delivers one request at a time; anything else is a bug upstream of us.
            closeConnection()
            return
        }
        connectionGuard.requestHeadReceived()
        recorder.requestStarted()
        let runtime = serverState.runtime
        let id: RequestIDValue = head.headers.first(name: RequestID.headerName).flatMap {
            RequestID.isAcceptable($0) ? .given($0) : nil
        } ?? requestIDs.next()
        let request = InFlightRequest(
            runtime: runtime, head: head, id: id, keepAlive: head.isKeepAlive, wallClock: WallClock.now()
        )

        if let problem = RequestHeadValidator.problem(with: head) {
            respondLocally(problem, request: request, closeAfter: true)
            return
        }
        switch RequestBodyFraming.of(head, maxBodyBytes: runtime.maxBodyBytes) {
        case .success(let framing):
            request.framing = framing
        case .failure(let error):
            respondLocally(error, request: request, closeAfter: true)
            return
        }
        let peerIsTrusted = peerIP.map { runtime.clientIPs.isTrusted($0) } ?? false
        request.clientIP = peerIP.map { runtime.clientIPs.clientIP(peer: $0, headers: head.headers) }
        // The request's own start time: a token's validity to the second needs no second clock read.
        let now = Date(timeIntervalSince1970: request.startedAtWallClock)
        switch runtime.identity.resolve(headers: head.headers, peerIsTrusted: peerIsTrusted, now: now) {
        case .success(let user):
            request.user = user?.id
        case .failure(let error):
            // A presented credential that does not hold is refused, never treated as anonymous,
            // but only once the policies that need no user have counted it: otherwise bad or
            // expired tokens would be unlimited, each costing a signature check.
            request.credentialRefusal = error
        }
        request.peer = (peerAddress, peerIsTrusted)
        if !peerIsTrusted {
            // Only trusted proxies may name the user; from anyone else the header is dropped so an
            // origin that trusts it (it sits behind Gatehouse) cannot be told any name.
            request.droppedUserHeader = runtime.config.identity.userHeader
        }
        state = .connecting(request)
        guard runtime.rateLimiter.isActive, let clientIP = request.clientIP else {
            admitted(request)
            return
        }
        let rateLimited = RateLimitRequest(head: head, path: request.matchPath, clientIP: clientIP, user: request.user)
        switch runtime.rateLimiter.evaluate(
            rateLimited, on: context.eventLoop, deadlines: storeDeadlines, workspace: &rateLimitWorkspace
        ) {
        case .notApplicable:
            admitted(request)
        case .decided(let outcome):
            rateLimitDecided(.success(outcome), for: request)
        case .pending(let verdict):
            verdict.whenComplete { result in
                self.rateLimitDecided(result, for: request)
            }
        }
    }

    private func rateLimitDecided(_ result: Result<RateLimitOutcome, any Error>, for request: InFlightRequest) {
        guard case .connecting(let current) = state, current === request else { return }
        switch result {
        case .failure(let error):
            if request.runtime.config.rateLimits.onStoreError == .deny {
                respondLocally(
                    GatehouseError(.unavailable, "Rate limits cannot be checked right now", source: .internalFailure, cause: error),
                    request: request, closeAfter: false
                )
                return
            }
            request.rateLimitDecision = "allowed"
        case .success(let outcome):
            recorder.rateLimitDecisions(outcome)
            let headers = RateLimitHeaders(outcome, plan: request.runtime.rateLimiter.plan)
            request.rateLimitHeaders = headers
            guard outcome.admitted else {
                request.rateLimitDecision = "limited"
                respondLocally(.rateLimited(outcome), request: request, closeAfter: false)
                return
            }
            request.rateLimitDecision = "allowed"
        }
        admitted(request)
    }

    /// Past the rate limits: refused for its credential (401), or on to the cache and upstream.
    private func admitted(_ request: InFlightRequest) {
        guard let refusal = request.credentialRefusal else {
            consultCache(for: request)
            return
        }
        var challenge = HTTPHeaders()
        challenge.add(name: "WWW-Authenticate", value: #"Bearer realm="gatehouse""#)
        respondLocally(refusal, request: request, closeAfter: false, extraHeaders: challenge)
    }

    private func receivedBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        switch state {
        case .connecting(let request):
            guard acceptBodyBytes(buffer.readableBytes, of: request) else { return }
            request.pendingBody.append(buffer)
        case .forwarding(let request, let upstream):
            guard acceptBodyBytes(buffer.readableBytes, of: request) else { return }
            connectionGuard.requestBodyBytesArrived(buffer.readableBytes)
            do {
                try upstream.writeBody(buffer)
            } catch {
                upstreamFailed(error, request: request, upstream: upstream)
            }
        case .respondingLocally(let request):
            // The body of a request answered locally is read and dropped, within the same limit.
            request.bodyBytesReceived += buffer.readableBytes
            if request.bodyBytesReceived > request.runtime.maxBodyBytes {
                closeAfterPendingWrites()  // its answer is written: it goes out first
            }
        case .idle, .closed:
            break
        }
    }

    /// Counts body bytes against `max_body_bytes` (a chunked body's size is known only as it
    /// arrives); past the limit the request is refused with 413 and the connection closed.
    private func acceptBodyBytes(_ count: Int, of request: InFlightRequest) -> Bool {
        request.bodyBytesReceived += count
        let limit = request.runtime.maxBodyBytes
        guard request.bodyBytesReceived > limit else { return true }
        refuseBody(of: request, GatehouseError(.payloadTooLarge, "Request body exceeds the limit of \(limit) bytes"))
        return false
    }

    /// The request body fell behind `server.min_body_rate` (or stalled for `idle_timeout`) while
    /// it was read for the origin.
    private func requestBodyTimedOut() {
        guard case .forwarding(let request, _) = state else { return }
        refuseBody(of: request, GatehouseError(.requestTimeout, "Request body not received in time"))
    }

    /// Gives up a request for its body: answers `error` and closes the connection (the rest of
    /// the body is not read), or only closes it when the response has started.
    private func refuseBody(of request: InFlightRequest, _ error: GatehouseError) {
        if request.responseStarted {
            closeConnection()  // abandons the exchange: its upstream connection and any fetch it led
        } else {
            if case .forwarding(_, let upstream) = state {
                upstream.close()
            }
            respondLocally(error, request: request, closeAfter: true)  // ends any fetch it led
        }
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        switch state {
        case .connecting(let request):
            request.requestEnded = true
        case .forwarding(let request, let upstream):
            request.requestEnded = true
            connectionGuard.requestBodyEnded()
            do {
                try upstream.writeEnd()
            } catch {
                upstreamFailed(error, request: request, upstream: upstream)
            }
        case .respondingLocally(let request):
            request.requestEnded = true
            finishExchange()
        case .idle, .closed:
            break
        }
    }

    func connectUpstream(for request: InFlightRequest, allowReuse: Bool) {
        guard let context, let pool = request.runtime.pools.pool(for: context.eventLoop) else {
            respondLocally(GatehouseError(.internalError, "No upstream pool for this event loop", source: .internalFailure),
                           request: request, closeAfter: true)
            return
        }
        request.upstreamAttempts += 1
        request.upstreamStartedAt = .now()
        switch pool.acquire(allowReuse: allowReuse, tried: request.upstreamServersTried) {
        case .ready(let connection):
            upstreamAcquired(.success(connection), for: request, pool: pool)
        case .connecting(let connection):
            connection.whenComplete { result in
                self.upstreamAcquired(result, for: request, pool: pool)
            }
        }
    }

    private func upstreamAcquired(
        _ result: Result<UpstreamConnection, any Error>, for request: InFlightRequest, pool: UpstreamConnectionPool
    ) {
        guard case .connecting(let current) = state, current === request else {
            // The client went away (or the request was refused) while connecting.
            if case .success(let upstream) = result {
                pool.release(upstream)
            }
            return
        }
        switch result {
        case .failure(let error):
            let failure = error as? UpstreamFailure ?? .connectFailed(String(describing: error))
            upstreamFailed(failure, request: request, upstream: nil)
        case .success(let upstream):
            guard request.peer != nil else {
                pool.release(upstream)
                return
            }
            state = .forwarding(request, upstream)
            request.upstreamServer = request.runtime.pools.servers.names[upstream.serverIndex]
            upstream.handler.beginExchange(delegate: self)
            if let context, !context.channel.isWritable {
                pauseUpstreamReads(upstream, context: context)
            }
            request.cache?.sentUpstream()
            request.writeUpstreamHead(to: upstream, headBuffer: headBuffer)
            do {
                for buffer in request.pendingBody {
                    try upstream.writeBody(buffer)
                }
                request.pendingBody.removeAll()
                if request.requestEnded {
                    try upstream.writeEnd()
                } else {
                    upstream.flush()
                    // From here on the body is read for the origin: the minimum-rate rule applies.
                    connectionGuard.readingRequestBody(received: request.bodyBytesReceived, readsPaused: readPending)
                }
            } catch {
                request.pendingBody.removeAll()
                upstreamFailed(error, request: request, upstream: upstream)
                return
            }
            resumeClientReadsIfPossible()
        }
    }

    private func upstreamFailed(_ failure: UpstreamFailure, request: InFlightRequest, upstream: UpstreamConnection?) {
        upstream?.close()
        if case .connectionClosed(beforeResponseHead: true) = failure, let upstream,
           resendAfterUnansweredClose(request, upstream: upstream)
        {
            return
        }
        recorder.upstreamFailed(kind: failure.metricKind)
        if let exchange = request.cache {
            // Stale first: serving it ends a revalidation's flight with `.failed`, so its followers serve theirs.
            if !request.responseStarted, serveStaleOnError(exchange, request: request, upstreamStatus: nil) {
                return
            }
            cacheFetchFailed(exchange)
        }
        // A framing mismatch is a bug of ours (caught before it reached the origin), not the origin's doing.
        let level: Logger.Level = if case .requestFramingMismatch = failure { .error } else { .warning }
        request.runtime.logger.log(level: level, "upstream failure", metadata: [
            "request_id": "\(request.requestID)", "failure": "\(failure)",
        ])
        if request.responseStarted {
            // The client has a partial response: only a cut connection tells it so.
            closeConnection()
            return
        }
        respondLocally(failure.gatehouseError, request: request, closeAfter: false)
    }

    /// Answers the current request with a JSON error (DESIGN.md §8), with the rate-limit fields
    /// of the policies that counted it (a 429's own, Retry-After included).
    /// With `closeAfter` false the rest of the request body, if any, is read and dropped so the
    /// connection stays usable; framing errors close it because the body's end is unknowable.
    func respondLocally(
        _ error: GatehouseError, request: InFlightRequest, closeAfter: Bool, extraHeaders: HTTPHeaders = HTTPHeaders(),
        cacheStatus: CacheStatus? = nil
    ) {
        guard let context else { return }
        // An error answers a request whose fetch for the cache, if it led one, will never end
        // otherwise: the requests waiting on it would wait for good.
        if let exchange = request.cache, exchange.leadsFlight != nil {
            cacheFetchFailed(exchange)
        }
        var headers = extraHeaders
        headers.add(name: "Date", value: dateField.value())
        headers.add(name: "Content-Type", value: "application/json")
        let body = context.channel.allocator.buffer(string: error.jsonBody)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        sendComplete(
            status: HTTPResponseStatus(statusCode: error.status), headers: headers, cacheStatus: cacheStatus,
            body: body, request: request, closeAfter: closeAfter
        )
    }

    /// Writes a whole response made by the proxy itself (an error, a cached response) and moves
    /// the connection on: to the next request, to reading and dropping the rest of this
    /// request's body, or to closing. `headers` must state the body's length; `encodedFields`
    /// are fields already in wire form (a cached entry's), written with its `Age` before `headers`.
    func sendComplete(
        status: HTTPResponseStatus, encodedFields: (fields: ByteBuffer, age: Int64)? = nil, headers: HTTPHeaders,
        cacheStatus: CacheStatus? = nil, body: ByteBuffer?,
        request: InFlightRequest, closeAfter: Bool
    ) {
        sendComplete(
            status: status, encodedFields: encodedFields, headers: headers, cacheStatus: cacheStatus,
            body: body.map { CacheBody.bytes($0) }, request: request, closeAfter: closeAfter
        )
    }

    /// A whole response: head, then a body from a buffer (small ones inlined into the head's
    /// write) or from a memory file (`sendfile`).
    func sendComplete(
        status: HTTPResponseStatus, encodedFields: (fields: ByteBuffer, age: Int64)? = nil, headers: HTTPHeaders,
        cacheStatus: CacheStatus? = nil, body: CacheBody?,
        bodyRange: Range<Int>? = nil, request: InFlightRequest, closeAfter: Bool
    ) {
        guard let context else { return }
        let head = request.head
        let close = closeAfter || !head.isKeepAlive || serverState.isDraining || quiescing
        let version: HTTPVersion = head.version.major == 1 && head.version.minor <= 1 ? head.version : .http1_1
        request.status = Int(status.code)
        let sendsBody = head.method != .HEAD && status.code >= 200 && status.code != 204 && status.code != 304
        // A 206 sends `bodyRange` of the body (never past its end); anything else all of it.
        let part = bodyRange?.clamped(to: 0..<(body?.count ?? 0))
        let bodyBytes = sendsBody ? part?.count ?? body?.count ?? 0 : 0
        // Small bodies go in the head's buffer (one iovec); large ones are written as they are, uncopied.
        let inlineBody = bodyBytes <= Self.inlineBodyLimit
        var buffer = headBuffer.take(
            capacity: 256 + (encodedFields?.fields.readableBytes ?? 0) + (inlineBody ? bodyBytes : 0)
        )
        buffer.writeHTTPStatusLine(version: version, status: status)
        if let (fields, age) = encodedFields {
            buffer.writeImmutableBuffer(fields)
            buffer.writeStaticString("Age: ")
            buffer.writeDecimal(Int(age))
            buffer.writeStaticString("\r\n")
        }
        buffer.writeHTTPFields(headers)
        cacheStatus?.write(into: &buffer)
        // Every answer to a request the policies counted states them, whoever made it.
        request.rateLimitHeaders?.write(into: &buffer)
        request.id.writeField(into: &buffer)
        buffer.writeStaticString(close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n")
        // A body too large to inline follows the head as a write of its own.
        var tail: IOData?
        var sentFile: (file: CacheBodyFile, region: FileRegion)?
        if bodyBytes > 0, let body {
            request.responseBytes = bodyBytes
            switch body {
            case .bytes(let bytes):
                let sent = part.flatMap { bytes.getSlice(at: bytes.readerIndex + $0.lowerBound, length: $0.count) } ?? bytes
                if inlineBody {
                    buffer.writeImmutableBuffer(sent)
                } else {
                    tail = .byteBuffer(sent)
                }
            case .file(let file):
                let region = file.makeRegion(part ?? 0..<file.count)
                sentFile = (file, region)
                tail = .fileRegion(region)
            }
        }
        record(request)
        if tail != nil {
            context.write(wrapOutboundOut(buffer), promise: nil)
            headBuffer.recycle(buffer)
        }
        let last = tail ?? .byteBuffer(buffer)
        // A file region hands its handle back when its write ends (and keeps the file open until then).
        let written: EventLoopPromise<Void>? = close || sentFile != nil ? context.eventLoop.makePromise() : nil
        if let sentFile {
            written?.futureResult.whenComplete { _ in sentFile.file.written(sentFile.region) }
        }
        context.writeAndFlush(NIOAny(last), promise: written)
        if close {
            state = .closed
            written?.futureResult.whenComplete { _ in context.close(promise: nil) }
            return
        }
        if tail == nil {
            headBuffer.recycle(buffer)
        }
        if request.requestEnded {
            finishExchange()
        } else {
            // The rest of this request's body is read and dropped before the next request.
            discardRestOfBody(of: request)
        }
    }

    /// Reads and drops the rest of a request body once its response is out; the next request follows.
    private func discardRestOfBody(of request: InFlightRequest) {
        state = .respondingLocally(request)
        connectionGuard.discardingRequestBody()
        // Reads may have been held while the request waited (for a connection, a verdict, a
        // full upstream socket); the rest of the body must be read now, or the connection would
        // never move on.
        resumeClientReadsIfPossible()
    }

    /// How long an idle connection keeps reading once the server drains.
    static let drainGrace = TimeAmount.seconds(1)

    /// Bodies (and a relayed response's first body part) up to this size are copied into the
    /// response head's buffer.
    private static let inlineBodyLimit = 16 * 1024

    /// The response is complete and the request fully read: ready for the next request.
    /// A response that told the client `Connection: close` closes instead of coming here, so a
    /// quiescing connection gets here only when the response went out keep-alive, its head sent
    /// before the drain: the client may have pipelined (or be sending) its next request, which
    /// is answered (with `Connection: close`) like an idle connection's: nothing in flight is lost.
    func finishExchange() {
        state = .idle
        connectionGuard.requestFinished()
        deliverPipelined()
        if inputClosed && isIdle && pipelined.isEmpty && unparsed == nil {
            closeAfterPendingWrites()
            return
        }
        if quiescing && isIdle, let context {
            closeUnlessARequestArrives(context: context)
            return
        }
        // A read withheld while this request waited (for a store, a connection) is due now,
        // or the next request on this connection would never be read.
        resumeClientReadsIfPossible()
    }

    /// Closes once what was written so far has gone out (a close drops unsent writes).
    private func closeAfterPendingWrites() {
        state = .closed
        guard let context else { return }
        // An empty write completes after every write before it.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in context.close(promise: nil) }
    }

    func closeConnection() {
        switch state {
        case .forwarding(let request, let upstream):
            abandon(request, upstream: upstream)
            record(request)
        case .connecting(let request):
            abandon(request, upstream: nil)
            record(request)
        case .respondingLocally(let request):
            record(request)
        case .idle, .closed:
            break
        }
        state = .closed
        context?.close(promise: nil)
    }

    /// Ends an exchange cut short (the client left, or its connection is being closed): its
    /// upstream connection, mid-exchange, can't be reused, and a fetch it led for the cache is
    /// given up, so that requests waiting on that fetch go upstream themselves: nothing else
    /// would ever end that flight, and every later request for the URL would wait on it.
    private func abandon(_ request: InFlightRequest, upstream: UpstreamConnection?) {
        upstream?.close()
        if let exchange = request.cache {
            cacheFetchFailed(exchange)
        }
    }
}

// MARK: - Upstream side

extension ProxyHandler: UpstreamResponseDelegate {
    /// Relays the origin's `100 Continue` to a client that asked for it (`Expect: 100-continue`
    /// on HTTP/1.1): curl and others wait for it, up to a second, before sending a body. A
    /// proxy must forward it (RFC 9110 §10.1.1, §15.2); answers the proxy makes itself come
    /// without one, and the client then sends no body or one that is read and dropped.
    func upstreamReceivedContinue() {
        guard case .forwarding(let request, _) = state, let context, !request.responseStarted, request.expectsContinue
        else { return }
        request.expectsContinue = false
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
    }

    func upstreamReceivedHead(_ head: HTTPResponseHead) {
        guard case .forwarding(let request, _) = state, context != nil else { return }
        if let startedAt = request.upstreamStartedAt {
            recorder.upstreamResponded(code: Int(head.status.code), duration: .now() - startedAt)
        }
        if let exchange = request.cache {
            guard cacheReceivedHead(head, exchange: exchange) else {
                return  // absorbed: answered from the cache when the upstream response ends
            }
        } else if let invalidated = invalidateAfterWrite(head, request: request) {
            holdResponse(until: invalidated, request: request)
        }
        request.responseStarted = true
        request.status = Int(head.status.code)
        var encoded = headBuffer.take(capacity: DownstreamResponseEncoder.headCapacity)
        encoder.beginHead(head, version: request.head.version, requestIsHEAD: request.isHEAD, into: &encoded)
        let fields = ResponseHeadRewriter.writeFields(of: head, requestID: request.requestID, into: &encoded)
        if !fields.hasDate {
            dateField.write(into: &encoded)
        }
        request.rateLimitHeaders?.write(into: &encoded)
        request.effectiveCacheStatus.write(into: &encoded)
        request.keepAlive = encoder.endHead(
            &encoded, contentLength: fields.contentLength,
            keepAlive: request.keepAlive && !serverState.isDraining && !quiescing
        )
        // Held until the first body part (or the end of this read): a small body usually
        // arrives with the head and then goes out in the same buffer, one write less.
        heldHead = encoded
        clientWritesUnflushed = true
    }

    /// Writes the held response head, if any, before whatever follows it.
    private func writeHeldHead(context: ChannelHandlerContext) {
        guard let head = heldHead else { return }
        heldHead = nil
        context.write(wrapOutboundOut(head), promise: nil)
        headBuffer.recycle(head)
    }

    func upstreamReceivedBody(_ buffer: ByteBuffer) {
        guard case .forwarding(let request, _) = state, let context else { return }
        if let exchange = request.cache {
            if exchange.absorbed != nil { return }
            if exchange.fillsRange {
                rangeFillReceivedBody(buffer, exchange: exchange)
                return
            }
            if exchange.isCapturing && !exchange.capture(buffer) {
                cacheAbandonedCapture(exchange)
            }
        }
        request.responseBytes += buffer.readableBytes
        if var head = heldHead, encoder.framing == .identity, buffer.readableBytes <= Self.inlineBodyLimit {
            heldHead = nil
            var part = buffer
            head.writeBuffer(&part)
            context.write(wrapOutboundOut(head), promise: nil)
            headBuffer.recycle(head)
        } else {
            writeHeldHead(context: context)
            encoder.encodeBody(buffer, allocator: context.channel.allocator) { bytes in
                context.write(self.wrapOutboundOut(bytes), promise: nil)
            }
        }
        clientWritesUnflushed = true
    }

    func upstreamReadComplete() {
        guard clientWritesUnflushed, !isHeldForInvalidation, let context else { return }
        clientWritesUnflushed = false
        writeHeldHead(context: context)
        context.flush()
    }

    func upstreamReceivedEnd() {
        guard case .forwarding(let request, let upstream) = state, let context else { return }
        if isHeldForInvalidation {
            heldForInvalidation?.ended = true
            return
        }
        if let exchange = request.cache, let absorbed = exchange.absorbed {
            releaseOrClose(upstream, request: request, context: context)
            answerAbsorbed(absorbed, exchange: exchange, request: request)
            return
        }
        if let exchange = request.cache, exchange.fillsRange {
            releaseOrClose(upstream, request: request, context: context)
            rangeFillEnded(exchange: exchange, request: request)
            return
        }
        if let exchange = request.cache {
            cacheResponseEnded(exchange, request: request)
        }
        record(request)
        releaseOrClose(upstream, request: request, context: context)
        writeHeldHead(context: context)
        let end = encoder.encodeEnd()
        if request.keepAlive {
            if let end {
                context.write(wrapOutboundOut(end), promise: nil)
            }
            clientWritesUnflushed = false
            context.flush()
            if request.requestEnded {
                finishExchange()
            } else {
                // The origin answered before the body ended (a 413 or 401 to an upload). Closing
                // now, with the client's bytes unread, would reset the connection, and the client
                // could lose the answer: the rest is read and dropped, as after a local answer.
                discardRestOfBody(of: request)
            }
        } else {
            state = .closed
            clientWritesUnflushed = false
            // An empty write still completes after the body's, which the close waits for.
            context.writeAndFlush(wrapOutboundOut(end ?? ByteBuffer())).whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// A write's response goes out only once the cache entries it invalidates are gone: with a
    /// shared (Redis) store the purge takes a round trip, and a client reading right after its
    /// write, through this or another instance, would otherwise still get what the write
    /// replaced. Meanwhile the response is written but not flushed (the client's write buffer
    /// bounds it: reads from the origin pause when it fills). The memory store invalidates at
    /// once, and then nothing is held.
    /// (Called before the head is written: when the store invalidated at once, the completion
    /// below runs right here and has nothing to flush.)
    private func holdResponse(until invalidated: EventLoopFuture<Int>, request: InFlightRequest) {
        heldForInvalidation = (request, false)
        invalidated.whenComplete { _ in
            self.invalidationCompleted(for: request)
        }
    }

    /// Whether the response being relayed waits for its invalidation (a hold left by an earlier
    /// exchange, which failed meanwhile, holds nothing of this one).
    private var isHeldForInvalidation: Bool {
        guard let held = heldForInvalidation, case .forwarding(let current, _) = state else { return false }
        return held.request === current
    }

    private func invalidationCompleted(for request: InFlightRequest) {
        guard let held = heldForInvalidation, held.request === request else { return }
        heldForInvalidation = nil
        // Nothing was flushed meanwhile: what was written goes out now, with the end if it came.
        guard case .forwarding(let current, _) = state, current === request else { return }
        if held.ended {
            upstreamReceivedEnd()
        } else {
            upstreamReadComplete()
        }
    }

    func upstreamFailed(_ failure: UpstreamFailure) {
        guard case .forwarding(let request, let upstream) = state else { return }
        upstreamFailed(failure, request: request, upstream: upstream)
    }

    /// Returns the upstream connection to the pool after a complete exchange; closes it when the
    /// client's request body was not fully sent (the server answered early: framing is spent).
    private func releaseOrClose(_ upstream: UpstreamConnection, request: InFlightRequest, context: ChannelHandlerContext) {
        if request.requestEnded, let pool = request.runtime.pools.pool(for: context.eventLoop) {
            pool.release(upstream)
        } else {
            upstream.close()  // the rest of the request body would go to it
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable {
            resumeClientReadsIfPossible()
        }
    }
}

// MARK: - Metrics and access log

extension ProxyHandler {
    /// Writes the request's metrics and access-log line, once, whatever ended it.
    /// A client that left before its response is logged as 499 (nginx's convention).
    func record(_ request: InFlightRequest, clientClosed: Bool = false) {
        guard !request.recorded else { return }
        request.recorded = true
        recorder.requestEnded()
        let status = clientClosed && !request.responseStarted ? 499 : request.status
        let duration = NIODeadline.now() - request.startedAt
        let method = request.head.method.rawValue
        let cacheLabel = request.effectiveCacheStatus.lookupResult
        // A request refused before the cache stage was no lookup: counted as a bypass it skewed
        // the hit ratio. It keeps `cache="bypass"` in `gatehouse_requests_total`.
        if request.runtime.cache != nil, request.reachedCacheStage {
            recorder.cacheLookup(result: cacheLabel)
        }
        recorder.requestCompleted(method: method, code: status, cache: cacheLabel, duration: duration)
        let accessLog = request.runtime.accessLog
        guard accessLog.isEnabled else { return }
        accessLog.log(AccessLogEntry(
            time: request.startedAtWallClock,
            client: request.clientIP?.description ?? peerAddress,
            user: request.user.map { loggedUserName.name(of: $0) },
            method: method,
            path: request.head.uri,
            status: status,
            bytes: request.responseBytes,
            durationSeconds: Double(duration.nanoseconds) / 1_000_000_000,
            cache: cacheLabel,
            rateLimit: request.rateLimitDecision,
            upstream: request.upstreamServer,
            requestID: request.requestID
        ))
    }

    /// A refusal before any request head could be parsed (malformed bytes, header timeout). Its
    /// `bytes` are the JSON body `ConnectionGuard.refuse` sends (they were logged as 0).
    func recordRefusal(_ error: GatehouseError) {
        recorder.requestCompleted(method: "OTHER", code: error.status, cache: "bypass", duration: .zero)
        let accessLog = serverState.runtime.accessLog
        guard accessLog.isEnabled else { return }
        accessLog.log(AccessLogEntry(
            time: WallClock.now(), client: peerAddress, method: "-", path: "-", status: error.status,
            bytes: error.jsonBody.utf8.count, durationSeconds: 0, cache: "bypass", requestID: requestIDs.generate()
        ))
    }
}
