// ProxyHandler+Responding: answers written to the client — whole responses, local JSON errors — and how an exchange and its connection end.
import GatehouseCore
import NIOCore
import NIOHTTP1

extension ProxyHandler {
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
        var fileBody: (file: CacheBodyFile, range: Range<Int>)?
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
                fileBody = (file, part ?? 0..<file.count)
            }
        }
        record(request)
        var sentFile: (file: CacheBodyFile, region: FileRegion)?
        // Set once head and body are written (past NIO, or through it): nothing is left below.
        var allWritten = false
        if let fileBody {
            // A response that closes the connection waits for NIO to report its body written.
            let left = directSend.writeBeforeFile(
                buffer, file: fileBody.file.descriptor, range: fileBody.range, bodyPastNIO: !close, context: context
            )
            if left.isEmpty {
                allWritten = true
            } else {
                let region = fileBody.file.makeRegion(left)
                sentFile = (fileBody.file, region)
                tail = .fileRegion(region)
            }
            headBuffer.recycle(buffer)
        } else if case .byteBuffer(let bodyBuffer)? = tail, !close {
            // A keep-alive response waits for no completion: head and body in one gathered send.
            directSend.writeAndFlush(buffer, bodyBuffer, context: context)
            headBuffer.recycle(buffer)
            allWritten = true
        } else if tail != nil {
            context.write(wrapOutboundOut(buffer), promise: nil)
            headBuffer.recycle(buffer)
        }
        let last = tail ?? .byteBuffer(buffer)
        // A file region hands its handle back when its write ends (and keeps the file open until then).
        let written: EventLoopPromise<Void>? = close || sentFile != nil ? context.eventLoop.makePromise() : nil
        if let sentFile {
            written?.futureResult.whenComplete { _ in sentFile.file.written(sentFile.region) }
        }
        if allWritten {
            // Written above.
        } else if tail == nil && written == nil {
            // One buffer and no completion to wait for: the usual hit, or a local answer.
            directSend.writeAndFlush(buffer, context: context)
        } else {
            context.writeAndFlush(NIOAny(last), promise: written)
        }
        request.keepAlive = !close
        // A close that is not a refusal waits for the rest of the body, read and dropped: a close
        // with the client's bytes unread resets the connection, and the client can lose this
        // answer (RFC 9112 §9.6). A refusal's body may be unreadable, except a 413's for the
        // length its head declared (`readsBodyBeforeClose`).
        if close && (request.requestEnded || (closeAfter && !request.readsBodyBeforeClose)) {
            state = .closed
            written?.futureResult.whenComplete { _ in context.close(promise: nil) }
            return
        }
        if tail == nil && fileBody == nil {
            headBuffer.recycle(buffer)
        }
        if request.requestEnded {
            finishExchange()
        } else {
            // The rest of this request's body is read and dropped before the next request.
            discardRestOfBody(of: request)
        }
    }

    /// How long an idle connection keeps reading once the server drains.
    static let drainGrace = TimeAmount.seconds(1)

    /// Bodies (and a relayed response's first body part) up to this size are copied into the
    /// response head's buffer.
    static let inlineBodyLimit = 16 * 1024

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
    func closeAfterPendingWrites() {
        state = .closed
        guard let context else { return }
        // An empty write completes after every write before it.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in context.close(promise: nil) }
    }

    /// Closes now, dropping unsent writes, and ends the exchange under way. `clientClosed`: the
    /// client is gone (its socket failed), so an unanswered request is logged 499.
    func closeConnection(clientClosed: Bool = false) {
        switch state {
        case .forwarding(let request, let upstream):
            abandon(request, upstream: upstream)
            record(request, clientClosed: clientClosed)
        case .connecting(let request):
            abandon(request, upstream: nil)
            record(request, clientClosed: clientClosed)
        case .respondingLocally(let request):
            record(request, clientClosed: clientClosed)
        case .idle, .closed:
            break
        }
        state = .closed
        context?.close(promise: nil)
    }

    /// Ends an exchange cut short (the client left, or its connection is being closed): its
    /// upstream connection, mid-exchange, can't be reused, and a fetch it led for the cache is
    /// given up, so that requests waiting on that fetch go upstream themselves: nothing else
    /// would ever end that flight, and every later request for the URL would wait on it. A
    /// write cut short this way may still be carried out: it invalidates as if it succeeded.
    func abandon(_ request: InFlightRequest, upstream: UpstreamConnection?) {
        if upstream != nil {
            invalidateUnansweredWrite(request)
        }
        upstream?.close()
        if let exchange = request.cache {
            cacheFetchFailed(exchange)
        }
    }
}
