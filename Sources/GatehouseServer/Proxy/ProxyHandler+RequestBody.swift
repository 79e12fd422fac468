// ProxyHandler+RequestBody: a request body as it arrives — held, forwarded or dropped, within max_body_bytes and min_body_rate.
import GatehouseCore
import NIOCore

extension ProxyHandler {
    func receivedBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
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
            if request.bodyBytesReceived > request.runtime.maxBodyBytes && !request.readsBodyBeforeClose {
                closeAfterPendingWrites()  // its answer is written: it goes out first
            }
        case .idle, .closed:
            break
        }
    }

    /// Counts body bytes against `max_body_bytes` (a chunked body's size is known only as it
    /// arrives); past the limit the request is refused with 413 and the connection closed.
    func acceptBodyBytes(_ count: Int, of request: InFlightRequest) -> Bool {
        request.bodyBytesReceived += count
        let limit = request.runtime.maxBodyBytes
        guard request.bodyBytesReceived > limit else { return true }
        refuseBody(of: request, GatehouseError(.payloadTooLarge, "Request body exceeds the limit of \(limit) bytes"))
        return false
    }

    /// The request body fell behind `server.min_body_rate` (or stalled for `idle_timeout`) while
    /// it was read for the origin.
    func requestBodyTimedOut() {
        guard case .forwarding(let request, _) = state else { return }
        refuseBody(of: request, GatehouseError(.requestTimeout, "Request body not received in time"))
    }

    /// Gives up a request for its body: answers `error` and closes the connection (the rest of
    /// the body is not read), or only closes it when the response has started.
    func refuseBody(of request: InFlightRequest, _ error: GatehouseError) {
        if request.responseStarted {
            closeConnection()  // abandons the exchange: its upstream connection and any fetch it led
        } else {
            if case .forwarding(_, let upstream) = state {
                upstream.close()
            }
            respondLocally(error, request: request, closeAfter: true)  // ends any fetch it led
        }
    }

    func receivedEnd(context: ChannelHandlerContext) {
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
            if request.keepAlive {
                finishExchange()
            } else {
                closeAfterPendingWrites()  // its answer said `Connection: close`; the body is in
            }
        case .idle, .closed:
            break
        }
    }

    /// Reads and drops the rest of a request body once its response is out; the next request
    /// follows, or, when that response closes the connection, the close.
    func discardRestOfBody(of request: InFlightRequest) {
        state = .respondingLocally(request)
        connectionGuard.discardingRequestBody()
        if !request.keepAlive, let context {
            // The answer closes the connection: its end (FIN) follows it at once, as in nginx's
            // lingering close, while the body is still read. Once the answer is out: a half-close
            // drops what is not yet written.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
                context.close(mode: .output, promise: nil)
            }
        }
        // Reads may have been held while the request waited (for a connection, a verdict, a
        // full upstream socket); the rest of the body must be read now, or the connection would
        // never move on.
        resumeClientReadsIfPossible()
    }
}
