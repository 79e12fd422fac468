// Channel handler behind TestUpstreamServer: answers each request as its behaviour says.
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves one connection. NIO's `HTTPServerPipelineHandler` sits before it, so the next request's
/// parts arrive only after this one's response ended and its body was fully read.
final class TestUpstreamHandler {
    private enum Phase {
        /// Waiting for a request head.
        case idle
        /// A delay is running; body parts are queued only if the behaviour after it echoes them.
        case delaying(TestUpstreamBehaviour, queued: [ByteBuffer])
        /// The behaviour acts once the whole request body has been read.
        case awaitingRequestEnd(TestUpstreamBehaviour)
        /// Response head sent; request body parts are written back as they arrive.
        case echoing
        /// Writing a generated body; `remaining` bytes to go.
        case streaming(remaining: Int, chunk: ByteBuffer)
        /// Never answering this request.
        case hanging
        /// The connection is being closed; nothing more is read or written.
        case closing
    }

    private struct CurrentRequest {
        var record: TestUpstreamRequest
        var version: HTTPVersion
        var keepAlive: Bool
        var isHEAD: Bool
        var ended = false
    }

    private let connectionNumber: Int
    private let behaviour: @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour
    private let serverState: NIOLockedValueBox<TestUpstreamServerState>
    private var phase = Phase.idle
    private var request: CurrentRequest?
    private var delayTimer: Scheduled<Void>?
    /// Reading the request pauses while the response side cannot take more (echo backpressure)
    /// and during a delay; a `read` swallowed meanwhile is replayed once neither holds.
    private var backpressureHoldsReads = false
    private var delayHoldsReads = false
    /// `readSlowly`: reads are let through one per interval until the slow phase or the request ends.
    private var slowReadsHoldReads = false
    private var readPending = false
    private var inputClosed = false

    init(
        connectionNumber: Int,
        behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour,
        serverState: NIOLockedValueBox<TestUpstreamServerState>
    ) {
        self.connectionNumber = connectionNumber
        self.behaviour = behaviour
        self.serverState = serverState
    }
}

extension TestUpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .closing = self.phase { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.requestHeadReceived(head, context: context)
        case .body(let buffer):
            self.requestBodyReceived(buffer, context: context)
        case .end:
            self.requestEnded(context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if case .streaming = self.phase {
                self.pumpStream(context: context)
            }
            // Released whatever the phase: an echo may have ended while the channel was full.
            self.backpressureHoldsReads = false
            self.releaseReads(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.backpressureHoldsReads || self.delayHoldsReads || self.slowReadsHoldReads {
            self.readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client half-closed: finish what is in flight, then close like an origin would.
            self.inputClosed = true
            if case .idle = self.phase {
                self.phase = .closing
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.phase = .closing
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.phase = .closing
        self.delayTimer?.cancel()
        self.slowReadsHoldReads = false  // ends the slow reads' timer chain
        context.fireChannelInactive()
    }
}

// MARK: - Request side

extension TestUpstreamHandler {
    private func requestHeadReceived(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let record = TestUpstreamRequest(head: head, connectionNumber: self.connectionNumber)
        self.request = CurrentRequest(
            record: record,
            version: head.version,
            keepAlive: head.isKeepAlive,
            isHEAD: head.method == .HEAD
        )
        let satisfied = self.serverState.withLockedValue { $0.requestHeadReceived() }
        for waiter in satisfied {
            waiter.succeed(true)
        }
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            // Clients that ask wait (for a while) before sending the body; a real origin says go.
            context.writeAndFlush(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        self.activate(self.behaviour(record), context: context)
    }

    private func requestBodyReceived(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        self.request?.record.bodyByteCount += buffer.readableBytes
        switch self.phase {
        case .delaying(let next, var queued) where next.startsBeforeRequestEnd:
            // Bounded: reads are held during the delay, so only what was already decoded arrives.
            queued.append(buffer)
            self.phase = .delaying(next, queued: queued)
        case .echoing:
            self.echo(buffer, context: context)
        default:
            break
        }
    }

    private func requestEnded(context: ChannelHandlerContext) {
        guard var request = self.request else { return }
        request.ended = true
        self.request = request
        self.serverState.withLockedValue { $0.requestCompleted(request.record) }
        self.slowReadsHoldReads = false
        switch self.phase {
        case .awaitingRequestEnd(let behaviour):
            self.perform(behaviour, context: context)
        case .echoing:
            self.finishResponse(context: context)
        default:
            break
        }
    }

    private func releaseReads(context: ChannelHandlerContext) {
        if self.readPending && !self.backpressureHoldsReads && !self.delayHoldsReads && !self.slowReadsHoldReads {
            self.readPending = false
            context.read()
        }
    }
}

// MARK: - Response side

extension TestUpstreamHandler {
    private func activate(_ behaviour: TestUpstreamBehaviour, context: ChannelHandlerContext) {
        switch behaviour {
        case .delay(let amount, let next):
            self.phase = .delaying(next, queued: [])
            self.delayHoldsReads = true
            self.delayTimer = context.eventLoop.assumeIsolated().scheduleTask(in: amount) {
                self.delayElapsed(context: context)
            }
        case .gated(let gate, let next):
            self.phase = .delaying(next, queued: [])
            self.delayHoldsReads = true
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            gate.whenOpen(on: context.eventLoop) {
                bound.value.handler.delayElapsed(context: bound.value.context)
            }
        case .echo:
            self.startEcho(queued: [], context: context)
        case .hang:
            self.phase = .hanging
        case .readSlowly(let interval, let duration, let next):
            self.startSlowReads(every: interval, until: .now() + duration, context: context)
            self.activate(next, context: context)
        case .respondBeforeBody(let status, let body):
            self.request?.keepAlive = false
            self.perform(.respond(status: status, body: body), context: context)
        default:
            self.phase = .awaitingRequestEnd(behaviour)
            if self.request?.ended == true {
                self.perform(behaviour, context: context)
            }
        }
    }

    private func delayElapsed(context: ChannelHandlerContext) {
        guard case .delaying(let next, let queued) = self.phase else { return }
        self.delayTimer = nil
        self.delayHoldsReads = false
        if case .echo = next {
            self.startEcho(queued: queued, context: context)
        } else {
            self.activate(next, context: context)
        }
        self.releaseReads(context: context)
    }

    /// Runs a behaviour that answers after the request body was read.
    private func perform(_ behaviour: TestUpstreamBehaviour, context: ChannelHandlerContext) {
        switch behaviour {
        case .respond(let status, let headers, let body):
            var fields = Self.fields(headers)
            if !fields.contains(name: "content-length") && !fields.contains(name: "transfer-encoding") {
                fields.add(name: "Content-Length", value: String(body.count))
            }
            self.writeHead(status: status, headers: fields, context: context)
            if !body.isEmpty && self.request?.isHEAD == false {
                context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            }
            self.finishResponse(context: context)
        case .respondChunked(let status, let headers, let chunks):
            var fields = Self.fields(headers)
            if !fields.contains(name: "transfer-encoding") {
                fields.add(name: "Transfer-Encoding", value: "chunked")
            }
            self.writeHead(status: status, headers: fields, context: context)
            context.flush()
            if self.request?.isHEAD == false {
                for chunk in chunks where !chunk.isEmpty {
                    context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: chunk)))), promise: nil)
                }
            }
            self.finishResponse(context: context)
        case .stream(let length, let pattern):
            self.startStream(length: length, pattern: pattern, context: context)
        case .resetAfterHead(let contentLength, let bodyBytesBeforeReset):
            self.resetAfterHead(contentLength: contentLength, bodyBytes: bodyBytesBeforeReset, context: context)
        case .closeWithoutResponse:
            self.phase = .closing
            context.close(promise: nil)
        case .drainRequestThenRespond(let status):
            let received = self.request?.record.bodyByteCount ?? 0
            self.perform(.json("{\"received\": \(received)}", status: status), context: context)
        case .rawResponse(let bytes):
            self.writeRaw(bytes, context: context)
        case .echo, .delay, .gated, .hang, .respondBeforeBody, .readSlowly:
            self.activate(behaviour, context: context)
        }
    }

    /// Small reads into a small receive buffer, so that the client's side, not the kernel's
    /// buffers, absorbs what the origin has not taken yet.
    private func startSlowReads(every interval: TimeAmount, until end: NIODeadline, context: ChannelHandlerContext) {
        guard self.request?.ended == false else { return }
        self.slowReadsHoldReads = true
        let options = context.channel.syncOptions
        try? options?.setOption(.socketOption(.so_rcvbuf), value: 32_768)
        try? options?.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32_768))
        try? options?.setOption(.maxMessagesPerRead, value: 1)
        self.scheduleSlowRead(every: interval, until: end, context: context)
    }

    private func scheduleSlowRead(every interval: TimeAmount, until end: NIODeadline, context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().scheduleTask(in: interval) {
            guard self.slowReadsHoldReads else { return }
            if NIODeadline.now() >= end {
                self.slowReadsHoldReads = false
                self.releaseReads(context: context)
                return
            }
            if self.readPending {
                self.readPending = false
                context.read()
            }
            self.scheduleSlowRead(every: interval, until: end, context: context)
        }
    }

    private func startEcho(queued: [ByteBuffer], context: ChannelHandlerContext) {
        self.phase = .echoing
        if self.request?.version == .http1_0 {
            // Without chunked coding, an HTTP/1.0 body of unknown length ends with the connection.
            self.request?.keepAlive = false
        }
        self.writeHead(status: 200, headers: HTTPHeaders(), context: context)
        context.flush()
        for buffer in queued {
            self.echo(buffer, context: context)
        }
        if self.request?.ended == true {
            self.finishResponse(context: context)
        }
    }

    /// GlueHandler-style backpressure within one connection: stop reading the request while the
    /// response side is full; channelWritabilityChanged resumes it.
    private func echo(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard self.request?.isHEAD == false, buffer.readableBytes > 0 else { return }
        context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if !context.channel.isWritable {
            self.backpressureHoldsReads = true
        }
    }

    private func startStream(length: Int, pattern: [UInt8], context: ChannelHandlerContext) {
        var fields = HTTPHeaders()
        fields.add(name: "Content-Length", value: String(length))
        self.writeHead(status: 200, headers: fields, context: context)
        guard self.request?.isHEAD == false, length > 0 else {
            self.finishResponse(context: context)
            return
        }
        // A whole number of patterns, so consecutive chunks continue the pattern seamlessly.
        let pattern = TestBodyChecksum.effectivePattern(pattern)
        let repetitions = max(1, 65_536 / pattern.count)
        var chunk = context.channel.allocator.buffer(capacity: repetitions * pattern.count)
        for _ in 0..<repetitions {
            chunk.writeBytes(pattern)
        }
        self.phase = .streaming(remaining: length, chunk: chunk)
        self.pumpStream(context: context)
    }

    /// Writes while the channel is writable; channelWritabilityChanged calls it again.
    private func pumpStream(context: ChannelHandlerContext) {
        guard case .streaming(var remaining, let chunk) = self.phase else { return }
        while context.channel.isWritable && remaining > 0 {
            var slice = chunk
            let length = min(remaining, chunk.readableBytes)
            slice.moveWriterIndex(to: slice.readerIndex + length)
            remaining -= length
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(slice))), promise: nil)
        }
        if remaining == 0 {
            self.finishResponse(context: context)
        } else {
            self.phase = .streaming(remaining: remaining, chunk: chunk)
            context.flush()
        }
    }

    private func resetAfterHead(contentLength: Int, bodyBytes: Int, context: ChannelHandlerContext) {
        self.phase = .closing
        var fields = HTTPHeaders()
        fields.add(name: "Content-Length", value: String(contentLength))
        self.writeHead(status: 200, headers: fields, context: context)
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: bodyBytes)
        // Reset only once the bytes are in the kernel: SO_LINGER 0 discards whatever is still
        // queued in NIO, and the point is that the peer sees the partial body first.
        let written = context.writeAndFlush(Self.wrapOutboundOut(.body(.byteBuffer(body))))
        written.assumeIsolated().whenComplete { _ in
            let lingerSet =
                (context.channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                ?? context.eventLoop.makeSucceededVoidFuture()
            lingerSet.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// Bypasses the HTTP encoder by writing from its own context, which passes bytes straight on
    /// towards the socket.
    private func writeRaw(_ bytes: [UInt8], context: ChannelHandlerContext) {
        self.phase = .closing
        let encoderContext = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        guard let encoderContext else {
            context.close(promise: nil)
            return
        }
        encoderContext.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func writeHead(status: Int, headers: HTTPHeaders, context: ChannelHandlerContext) {
        var headers = headers
        if self.request?.keepAlive == false && !headers.contains(name: "connection") {
            headers.add(name: "Connection", value: "close")
        }
        if headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
            self.request?.keepAlive = false
        }
        // Answering in the request's version keeps NIO from chunking a body for an HTTP/1.0 client.
        let version = self.request?.version ?? .http1_1
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
    }

    /// Ends the response; the request has been fully read by now. The state is reset before the
    /// end is written because NIO's pipelining helper delivers the next request from inside that write.
    private func finishResponse(context: ChannelHandlerContext) {
        let keepAlive = (self.request?.keepAlive ?? false) && !self.inputClosed
        self.request = nil
        if keepAlive {
            self.phase = .idle
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            self.phase = .closing
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private static func fields(_ headers: [(String, String)]) -> HTTPHeaders {
        var fields = HTTPHeaders()
        for (name, value) in headers {
            fields.add(name: name, value: value)
        }
        return fields
    }
}
