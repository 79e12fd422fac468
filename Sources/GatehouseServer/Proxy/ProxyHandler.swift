// ProxyHandler: one client connection's requests, forwarded to upstream with streaming and backpressure.
import GatehouseCore
import Logging
import NIOCore
import NIOHTTP1

/// Handles the requests of one client connection in order: reads them off the connection's
/// bytes (`ClientRequestParser`), validates each head, forwards it
/// through the event loop's upstream pool, and streams both bodies. Reads from the client pause
/// while the upstream socket is full, and upstream reads pause while the client is slow, so a
/// body of any size passes in bounded memory (swift-nio-examples' GlueHandler, per request).
///
/// This file holds its state and the upstream connection of an exchange; each stage of a
/// request is an extension of its own: `+ChannelHandler` (the connection's events),
/// `+RequestParsing` (requests off the bytes, pipelining, malformed input), `+RequestStages`
/// (validation, identity, rate limits), `+RequestBody`, `+Cache` and `+RangeFill` (the cache
/// stage), `+UpstreamRetry`, `+UpstreamResponse` (the origin's answer relayed), `+Responding`
/// (answers and the end of an exchange) and `+Recording` (metrics and the access log).
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
    let connectionGuard: ConnectionGuard
    /// Bounds a client that takes nothing of a relayed response (the origin is not charged then).
    let stallWatch: ResponseStallWatch
    let recorder: RequestMetricsRecorder
    /// This loop's backstop on remote store calls.
    let storeDeadlines: StoreDeadlines
    /// This loop's buffer for response heads.
    let headBuffer: HeadBuffer
    /// This loop's turn-taking with the other threads of its core.
    let loopTurn: LoopTurn
    /// Sends whole responses, and a large hit's head (in one segment with its body), past NIO's write path.
    var directSend = DirectSend()
    var context: ChannelHandlerContext?
    /// A `read` the channel asked for while forwarding was paused.
    var readPending = false
    let peerAddress: String
    let peerIP: IPAddress?
    /// Reads the requests off the connection's bytes. Here rather than in a decoder handler in
    /// front: each request part passed between two handlers cost a pipeline hop and an `NIOAny`
    /// wrapped and unwrapped (measured: ~7 % less user CPU per proxied request without them).
    var requestParser: ClientRequestParser
    /// The rate-limit stage's arrays and client keys, reused by each request of this connection.
    var rateLimitWorkspace = RateLimitWorkspace()
    var requestIDs = RequestIDGenerator()
    /// Frames the current response's bytes (NIO's response encoder is not in this pipeline).
    var encoder = DownstreamResponseEncoder()
    /// Pipelined requests (and a parse error among them) that arrived while an earlier request
    /// was in progress; delivered in order once it is answered. At most `maxQueuedParts`: the
    /// bytes after those stay in `unparsed`.
    var pipelined = CircularBuffer<PipelinedEvent>()
    /// Bytes read behind a full `pipelined`, parsed as it empties. Client reads pause while any
    /// wait, so this holds at most one read's worth (NIO reads up to `maxMessagesPerRead`
    /// buffers before it asks again). A parsed head costs about ten times the bytes it came
    /// in (its fields, their strings): parsing a whole read of small pipelined requests
    /// behind one the origin was slow to answer held over 1 MB per connection.
    var unparsed: ByteBuffer?
    /// `Date` for the answers that carry none (see `DateFieldCache`).
    var dateField = DateFieldCache()
    /// The access log's name for this connection's user (a digest, made once per user).
    var loggedUserName = AccessLogUserName()
    var deliveringPipelined = false
    /// The server is draining: every response says `Connection: close`, and the connection
    /// closes once one has gone out (or after a grace, when none is owed).
    var quiescing = false
    /// The client half-closed (sent FIN): what it sent is answered, then the connection closes.
    var inputClosed = false
    /// Response bytes written to the client since the last flush. A flush with nothing to send
    /// still walks the pipeline, and the end of each response is flushed at once anyway.
    var clientWritesUnflushed = false
    /// A relayed response's head, not yet written: see `upstreamReceivedHead`.
    var heldHead: ByteBuffer?
    /// Whether `heldHead` also holds the response's first body part (`upstreamReceivedBody`).
    var heldHeadCarriesBody = false
    /// The write whose response waits, written but unflushed, for its cache invalidation (see
    /// `holdResponse(until:request:)`), and whether its end came meanwhile.
    var heldForInvalidation: (request: InFlightRequest, ended: Bool)?

    enum PipelinedEvent {
        case part(HTTPServerRequestPart)
        case parseError(HTTPSyntaxError)
    }

    init(serverState: ServerState, loop: LoopState, peer: SocketAddress?) {
        let server = serverState.runtime.config.server
        self.serverState = serverState
        self.connectionGuard = ConnectionGuard(
            idleTimeout: TimeAmount(server.idleTimeout), readHeaderTimeout: TimeAmount(server.readHeaderTimeout),
            minBodyRate: server.minBodyRate
        )
        self.stallWatch = ResponseStallWatch(interval: TimeAmount(server.idleTimeout))
        self.recorder = loop.recorder
        self.storeDeadlines = loop.storeDeadlines
        self.headBuffer = loop.headBuffer
        self.loopTurn = loop.turn
        self.peerIP = peer.flatMap { IPAddress($0) }
        self.peerAddress = peerIP?.description ?? "unknown"
        self.requestParser = ClientRequestParser(maxHeadBytes: server.maxHeaderBytes)
    }
}

// MARK: - Upstream connection

extension ProxyHandler {
    func connectUpstream(for request: InFlightRequest, allowReuse: Bool) {
        guard let context, let pool = request.runtime.pools.pool(for: context.eventLoop) else {
            respondLocally(GatehouseError(.internalError, "No upstream pool for this event loop", source: .internalFailure),
                           request: request, closeAfter: true)
            return
        }
        request.upstreamAttempts += 1
        let now = NIODeadline.now()
        request.upstreamStartedAt = now
        switch pool.acquire(allowReuse: allowReuse, tried: request.upstreamServersTried, now: now) {
        case .ready(let connection):
            upstreamAcquired(.success(connection), for: request, pool: pool)
        case .connecting(let connection):
            connection.whenComplete { result in
                self.upstreamAcquired(result, for: request, pool: pool)
            }
        }
    }

    func upstreamAcquired(
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

    func upstreamFailed(_ failure: UpstreamFailure, request: InFlightRequest, upstream: UpstreamConnection?) {
        upstream?.close()
        if case .connectionClosed(beforeResponseHead: true) = failure, let upstream,
           resendAfterUnansweredClose(request, upstream: upstream)
        {
            return
        }
        recorder.upstreamFailed(kind: failure.metricKind)
        if failure.mayHaveReachedOrigin {
            invalidateUnansweredWrite(request)
        }
        if request.responseStarted, let held = takeHeldHead() {
            // Nothing of the response has left: its head (and first part) waited for the end of
            // the read it came in, where the origin's framing broke. The client gets a whole
            // answer (stale or 502) rather than a cut connection, and it is counted as such.
            headBuffer.recycle(held)
            request.responseStarted = false
            request.responseBytes = 0
        }
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
}
