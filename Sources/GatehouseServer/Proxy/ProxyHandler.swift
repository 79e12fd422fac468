// ProxyHandler: one client connection's requests, forwarded to upstream with streaming and backpressure.
import Foundation
import GatehouseCore
import Logging
import NIOCore
import NIOHTTP1

/// Handles the requests of one client connection in order: validates each head, forwards it
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
        case respondingLocally(InFlightRequest, closeAfter: Bool)
        case closed
    }

    var state: State = .idle
    let serverState: ServerState
    private let connectionGuard: ConnectionGuard
    let recorder: RequestMetricsRecorder
    var context: ChannelHandlerContext?
    /// A `read` the channel asked for while forwarding was paused.
    private var readPending = false
    private let peerAddress: String
    private let peerIP: IPAddress?
    private var requestIDs = RequestIDGenerator()

    init(serverState: ServerState, connectionGuard: ConnectionGuard, recorder: RequestMetricsRecorder, peer: SocketAddress?) {
        self.serverState = serverState
        self.connectionGuard = connectionGuard
        self.recorder = recorder
        self.peerIP = peer.flatMap { IPAddress($0) }
        self.peerAddress = peerIP?.description ?? "unknown"
    }
}

// MARK: - Client side

extension ProxyHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
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
            upstream.flush()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if shouldPauseClientReads {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .forwarding(_, let upstream) = state {
            if context.channel.isWritable {
                upstream.handler.resumeReads()
            } else {
                upstream.handler.pauseReads()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client left: an unfinished exchange leaves its upstream connection in an unknown state.
        switch state {
        case .forwarding(let request, let upstream):
            upstream.close()
            record(request, clientClosed: true)
        case .connecting(let request):
            record(request, clientClosed: true)
        case .idle, .respondingLocally, .closed:
            break
        }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError {
            let refusal = Self.refusal(for: parserError)
            if case .forwarding(let request, let upstream) = state {
                upstream.close()
                if request.responseStarted {
                    closeConnection()
                    return
                }
            }
            state = .closed
            recordRefusal(refusal)
            connectionGuard.refuse(refusal)
            return
        }
        // I/O errors (reset by peer and such): nothing useful can be written any more.
        closeConnection()
    }

    private static func refusal(for error: HTTPParserError) -> GatehouseError {
        switch error {
        case .headerOverflow:
            GatehouseError(.headersTooLarge, "Request header fields too large", cause: error)
        default:
            GatehouseError(.badRequest, "Malformed HTTP request", cause: error)
        }
    }

    private var shouldPauseClientReads: Bool {
        switch state {
        case .connecting:
            true
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
        serverState.metrics.requestsInFlight.increment()
        let runtime = serverState.runtime
        let requestID = head.headers.first(name: RequestID.headerName).flatMap {
            RequestID.isAcceptable($0) ? $0 : nil
        } ?? requestIDs.generate()
        let request = InFlightRequest(
            runtime: runtime, head: head, requestID: requestID, keepAlive: head.isKeepAlive, wallClock: WallClock.now()
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
        switch runtime.identity.resolve(headers: head.headers, peerIsTrusted: peerIsTrusted, now: Date()) {
        case .success(let user):
            request.user = user?.id
        case .failure(let error):
            // A presented credential that does not hold is refused, never treated as anonymous.
            var challenge = HTTPHeaders()
            challenge.add(name: "WWW-Authenticate", value: #"Bearer realm="gatehouse""#)
            respondLocally(error, request: request, closeAfter: false, extraHeaders: challenge)
            return
        }
        request.forwarding = ForwardingContext(peerAddress: peerAddress, peerIsTrusted: peerIsTrusted, requestID: requestID)
        if !peerIsTrusted {
            // Only trusted proxies may name the user; from anyone else the header is dropped so an
            // origin that trusts it (it sits behind Gatehouse) cannot be told any name.
            request.droppedUserHeader = runtime.config.identity.userHeader
        }
        state = .connecting(request)
        if let clientIP = request.clientIP,
           let verdict = runtime.rateLimiter.evaluate(
               RateLimitRequest(head: head, clientIP: clientIP, user: request.user), on: context.eventLoop
           )
        {
            verdict.whenComplete { result in
                self.rateLimitDecided(result, for: request)
            }
            return
        }
        consultCache(for: request)
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
            for result in outcome.results {
                recorder.rateLimitDecision(policy: result.policyName, limited: !result.admitted)
            }
            let headers = RateLimitHeaders(outcome)
            request.rateLimitHeaders = headers
            guard outcome.admitted else {
                request.rateLimitDecision = "limited"
                var extra = HTTPHeaders()
                headers.add(to: &extra)
                respondLocally(.rateLimited(outcome), request: request, closeAfter: false, extraHeaders: extra)
                return
            }
            request.rateLimitDecision = "allowed"
        }
        consultCache(for: request)
    }

    private func receivedBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        switch state {
        case .connecting(let request):
            guard acceptBodyBytes(buffer.readableBytes, of: request) else { return }
            request.pendingBody.append(buffer)
        case .forwarding(let request, let upstream):
            guard acceptBodyBytes(buffer.readableBytes, of: request) else { return }
            upstream.write(.body(.byteBuffer(buffer)))
        case .respondingLocally(let request, _):
            // The body of a request answered locally is read and dropped, within the same limit.
            request.bodyBytesReceived += buffer.readableBytes
            if request.bodyBytesReceived > request.runtime.maxBodyBytes {
                closeConnection()
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
        let error = GatehouseError(.payloadTooLarge, "Request body exceeds the limit of \(limit) bytes")
        if case .forwarding(_, let upstream) = state {
            upstream.close()
        }
        if request.responseStarted {
            closeConnection()
        } else {
            respondLocally(error, request: request, closeAfter: true)
        }
        return false
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        switch state {
        case .connecting(let request):
            request.requestEnded = true
        case .forwarding(let request, let upstream):
            request.requestEnded = true
            upstream.writeAndFlush(.end(nil))
        case .respondingLocally(let request, let closeAfter):
            request.requestEnded = true
            if !closeAfter {
                finishExchange()
            }
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
        pool.acquire(allowReuse: allowReuse).whenComplete { result in
            self.upstreamAcquired(result, for: request, pool: pool)
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
            guard let upstreamHead = request.upstreamHead else {
                pool.release(upstream)
                return
            }
            state = .forwarding(request, upstream)
            request.upstreamServer = request.runtime.pools.servers.servers[upstream.serverIndex].description
            upstream.handler.beginExchange(delegate: self)
            if let context, !context.channel.isWritable {
                upstream.handler.pauseReads()
            }
            upstream.write(.head(upstreamHead))
            for buffer in request.pendingBody {
                upstream.write(.body(.byteBuffer(buffer)))
            }
            request.pendingBody.removeAll()
            if request.requestEnded {
                upstream.write(.end(nil))
            }
            upstream.flush()
            resumeClientReadsIfPossible()
        }
    }

    private func upstreamFailed(_ failure: UpstreamFailure, request: InFlightRequest, upstream: UpstreamConnection?) {
        upstream?.close()
        if case .connectionClosed(beforeResponseHead: true) = failure, let upstream, upstream.isReused,
           request.isRetryable
        {
            // A pooled connection the server had already closed: resend on a fresh one.
            state = .connecting(request)
            connectUpstream(for: request, allowReuse: false)
            return
        }
        recorder.upstreamFailed(kind: failure.metricKind)
        if let exchange = request.cache {
            cacheFetchFailed(exchange)
            if !request.responseStarted, serveStaleOnError(exchange, request: request, upstreamStatus: nil) {
                return
            }
        }
        request.runtime.logger.warning("upstream failure", metadata: [
            "request_id": "\(request.requestID)", "failure": "\(failure)",
        ])
        if request.responseStarted {
            // The client has a partial response: only a cut connection tells it so.
            closeConnection()
            return
        }
        respondLocally(failure.gatehouseError, request: request, closeAfter: false)
    }

    /// Answers the current request with a JSON error (DESIGN.md §8).
    /// With `closeAfter` false the rest of the request body, if any, is read and dropped so the
    /// connection stays usable; framing errors close it because the body's end is unknowable.
    func respondLocally(
        _ error: GatehouseError, request: InFlightRequest, closeAfter: Bool, extraHeaders: HTTPHeaders = HTTPHeaders()
    ) {
        guard let context else { return }
        var headers = extraHeaders
        headers.add(name: "Content-Type", value: "application/json")
        let body = context.channel.allocator.buffer(string: error.jsonBody)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        sendComplete(
            status: HTTPResponseStatus(statusCode: error.status), headers: headers, body: body,
            request: request, closeAfter: closeAfter
        )
    }

    /// Writes a whole response made by the proxy itself (an error, a cached response) and moves
    /// the connection on: to the next request, to reading and dropping the rest of this
    /// request's body, or to closing.
    func sendComplete(
        status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer?, request: InFlightRequest, closeAfter: Bool
    ) {
        guard let context else { return }
        let head = request.head
        let close = closeAfter || !head.isKeepAlive || serverState.isDraining
        state = .respondingLocally(request, closeAfter: close)
        var headers = headers
        headers.replaceOrAdd(name: RequestID.canonicalHeaderName, value: request.requestID)
        headers.replaceOrAdd(name: "Connection", value: close ? "close" : "keep-alive")
        let version: HTTPVersion = head.version.major == 1 && head.version.minor <= 1 ? head.version : .http1_1
        request.status = Int(status.code)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD, let body, body.readableBytes > 0 {
            request.responseBytes = body.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        record(request)
        // The state moves on before `.end` is written: writing it lets the pipelining handler
        // deliver the next buffered request to us re-entrantly.
        if close {
            state = .closed
        } else if request.requestEnded {
            finishExchange()
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            done.whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// The response is complete and the request fully read: ready for the next request.
    func finishExchange() {
        state = .idle
        connectionGuard.requestFinished()
        // A read withheld while this request waited (for a store, a connection) is due now,
        // or the next request on this connection would never be read.
        resumeClientReadsIfPossible()
    }

    func closeConnection() {
        switch state {
        case .forwarding(let request, let upstream):
            upstream.close()
            record(request)
        case .connecting(let request), .respondingLocally(let request, _):
            record(request)
        case .idle, .closed:
            break
        }
        state = .closed
        context?.close(promise: nil)
    }
}

// MARK: - Upstream side

extension ProxyHandler: UpstreamResponseDelegate {
    func upstreamReceivedHead(_ head: HTTPResponseHead) {
        guard case .forwarding(let request, _) = state, let context else { return }
        if let startedAt = request.upstreamStartedAt {
            recorder.upstreamResponded(code: Int(head.status.code), duration: .now() - startedAt)
        }
        var cacheHeaders = HTTPHeaders()
        if let exchange = request.cache {
            guard cacheReceivedHead(head, exchange: exchange, request: request, headers: &cacheHeaders) else {
                return  // absorbed: answered from the cache when the upstream response ends
            }
        } else {
            cacheHeaders.add(name: CacheStatus.headerName, value: request.effectiveCacheStatus.headerValue)
            invalidateAfterWrite(head, request: request)
        }
        request.responseStarted = true
        request.status = Int(head.status.code)
        request.keepAlive = request.keepAlive && !serverState.isDraining
            && ResponseHeadRewriter.canKeepAlive(head, requestVersion: request.head.version, requestIsHEAD: request.isHEAD)
        var downstreamHead = ResponseHeadRewriter.downstreamHead(
            for: head, requestVersion: request.head.version, requestID: request.requestID, keepAlive: request.keepAlive
        )
        request.rateLimitHeaders?.add(to: &downstreamHead.headers)
        downstreamHead.headers.add(contentsOf: cacheHeaders)
        context.write(wrapOutboundOut(.head(downstreamHead)), promise: nil)
    }

    func upstreamReceivedBody(_ buffer: ByteBuffer) {
        guard case .forwarding(let request, _) = state, let context else { return }
        if let exchange = request.cache {
            if exchange.absorbed != nil { return }
            if exchange.plan != nil && !exchange.capture(buffer) {
                cacheAbandonedCapture(exchange)
            }
        }
        request.responseBytes += buffer.readableBytes
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    func upstreamReadComplete() {
        context?.flush()
    }

    func upstreamReceivedEnd() {
        guard case .forwarding(let request, let upstream) = state, let context else { return }
        if let exchange = request.cache, let absorbed = exchange.absorbed {
            releaseOrClose(upstream, request: request, context: context)
            answerAbsorbed(absorbed, exchange: exchange, request: request)
            return
        }
        if let exchange = request.cache {
            cacheResponseEnded(exchange)
        }
        record(request)
        releaseOrClose(upstream, request: request, context: context)
        // The state moves on before `.end` is written: writing it lets the pipelining handler
        // deliver the next buffered request to us re-entrantly.
        let keepOpen = request.keepAlive && request.requestEnded
        if keepOpen {
            finishExchange()
        } else {
            state = .closed
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepOpen {
            done.whenComplete { _ in context.close(promise: nil) }
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
            upstream.close()
            if !request.requestEnded {
                request.keepAlive = false
            }
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
        serverState.metrics.requestsInFlight.decrement()
        let status = clientClosed && !request.responseStarted ? 499 : request.status
        let duration = NIODeadline.now() - request.startedAt
        let method = request.head.method.rawValue
        let cacheLabel = request.effectiveCacheStatus.lookupResult
        if request.runtime.cache != nil {
            recorder.cacheLookup(result: cacheLabel)
        }
        recorder.requestCompleted(method: method, code: status, cache: cacheLabel, duration: duration)
        let accessLog = request.runtime.accessLog
        guard accessLog.isEnabled else { return }
        accessLog.log(AccessLogEntry(
            time: request.startedAtWallClock,
            client: request.clientIP?.description ?? peerAddress,
            user: request.user,
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

    /// A refusal before any request head could be parsed (malformed bytes, header timeout).
    func recordRefusal(_ error: GatehouseError) {
        recorder.requestCompleted(method: "OTHER", code: error.status, cache: "bypass", duration: .zero)
        let accessLog = serverState.runtime.accessLog
        guard accessLog.isEnabled else { return }
        accessLog.log(AccessLogEntry(
            time: WallClock.now(), client: peerAddress, method: "-", path: "-", status: error.status,
            bytes: 0, durationSeconds: 0, cache: "bypass", requestID: requestIDs.generate()
        ))
    }
}
