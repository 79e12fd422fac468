// ProxyHandler+UpstreamResponse: the origin's response relayed to the client as it arrives, with backpressure, holds for invalidation and the connection's return to the pool.
import GatehouseCore
import NIOCore
import NIOHTTP1

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
        heldHeadCarriesBody = false
        clientWritesUnflushed = true
    }

    /// Writes the held response head, if any, before whatever follows it.
    func writeHeldHead(context: ChannelHandlerContext) {
        guard let head = takeHeldHead() else { return }
        context.write(wrapOutboundOut(head), promise: nil)
        headBuffer.recycle(head)
    }

    /// The held head, no longer held (one reference left, so its storage can grow in place).
    func takeHeldHead() -> ByteBuffer? {
        defer {
            heldHead = nil
            heldHeadCarriesBody = false
        }
        return heldHead
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
        if var head = heldHead, !heldHeadCarriesBody, buffer.readableBytes <= Self.inlineBodyLimit {
            // The first part joins the held head (one buffer, one write), and both stay held to
            // the end of the read: if the origin's response turns out malformed or cut within
            // it, nothing has left and the client gets a 502 instead of a cut connection.
            heldHead = nil  // one reference, so the head's storage grows in place
            encoder.encodeBody(buffer, allocator: context.channel.allocator) { bytes in
                var bytes = bytes
                head.writeBuffer(&bytes)
            }
            heldHead = head
            heldHeadCarriesBody = true
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
        let end = encoder.encodeEnd()
        // The origin answered before the body ended (a 413 or 401 to an upload). Closing now,
        // with the client's bytes unread, would reset the connection, and the client could lose
        // the answer (RFC 9112 §9.6): the rest is read and dropped, as after a local answer, also
        // when this response closes the connection (`Connection: close`, HTTP/1.0, a drain),
        // which then closes once the body is in.
        if request.keepAlive || !request.requestEnded {
            clientWritesUnflushed = false
            sendLastBytes(end, context: context)
            if request.requestEnded {
                finishExchange()
            } else {
                discardRestOfBody(of: request)
            }
        } else {
            state = .closed
            clientWritesUnflushed = false
            writeHeldHead(context: context)
            // An empty write still completes after the body's, which the close waits for.
            context.writeAndFlush(wrapOutboundOut(end ?? ByteBuffer())).whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Writes and flushes what is left of a relayed response: the held head (with the first
    /// body part) and `end`, the chunked framing's last chunk. When both are there they go as
    /// one buffer, and in one `send` past NIO when it holds nothing of the response (a whole
    /// small response, the usual case: see `DirectSend`).
    private func sendLastBytes(_ end: ByteBuffer?, context: ChannelHandlerContext) {
        guard var head = takeHeldHead() else {
            if let end {
                directSend.writeAndFlush(end, context: context)
            } else {
                context.flush()
            }
            return
        }
        if var end {
            head.writeBuffer(&end)
        }
        directSend.writeAndFlush(head, context: context)
        headBuffer.recycle(head)
    }

    /// A write's response goes out only once the cache entries it invalidates are gone: with a
    /// shared (Redis) store the purge takes a round trip, and a client reading right after its
    /// write, through this or another instance, would otherwise still get what the write
    /// replaced. Meanwhile the response is written but not flushed (the client's write buffer
    /// bounds it: reads from the origin pause when it fills). The memory store invalidates at
    /// once, and then nothing is held.
    /// (Called before the head is written: when the store invalidated at once, the completion
    /// below runs right here and has nothing to flush.)
    func holdResponse(until invalidated: EventLoopFuture<Int>, request: InFlightRequest) {
        heldForInvalidation = (request, false)
        invalidated.whenComplete { _ in
            self.invalidationCompleted(for: request)
        }
    }

    /// Whether the response being relayed waits for its invalidation (a hold left by an earlier
    /// exchange, which failed meanwhile, holds nothing of this one).
    var isHeldForInvalidation: Bool {
        guard let held = heldForInvalidation, case .forwarding(let current, _) = state else { return false }
        return held.request === current
    }

    func invalidationCompleted(for request: InFlightRequest) {
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
    func releaseOrClose(_ upstream: UpstreamConnection, request: InFlightRequest, context: ChannelHandlerContext) {
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
