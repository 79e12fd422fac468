// DemoAPIHandler: the response side — whole answers, the streamed ones, and the delayed one.
import NIOCore
import NIOHTTP1

extension DemoAPIHandler {
    /// Head, body and end in one flush.
    func write(_ response: JSONResponse, for request: IncomingRequest, context: ChannelHandlerContext) {
        let body = response.body
        let result = self.application.heads.head(
            status: response.status,
            for: request,
            contentType: body == nil ? nil : "application/json",
            contentLength: body?.readableBytes,
            caching: response.caching,
            etag: { ETag.of(body ?? ByteBuffer()) },
            extraHeaders: response.extraHeaders
        )
        context.write(self.wrapOutboundOut(.head(result.head)), promise: nil)
        if result.writesBody, let body, body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        self.writeEnd(for: request, context: context)
    }

    /// Ends the response; the connection closes after it unless the request keeps it alive.
    /// The state must have left the request already: ending a response lets NIO's pipelining
    /// helper deliver the next request straight away.
    func writeEnd(for request: IncomingRequest, context: ChannelHandlerContext) {
        if request.keepAlive {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    /// `POST /echo`: answers at once and mirrors the request's framing, so the body can flow
    /// straight back part by part (a Content-Length is echoed; a chunked body is echoed chunked).
    func startEcho(for request: IncomingRequest, context: ChannelHandlerContext) {
        let headers = request.head.headers
        let length: Int? = request.isChunked ? nil : (headers.first(name: "content-length").flatMap { Int($0) } ?? 0)
        let result = self.application.heads.head(
            status: .ok,
            for: request,
            contentType: headers.first(name: "content-type") ?? "application/octet-stream",
            contentLength: length,
            caching: .noStore,
            etag: { "" }
        )
        context.writeAndFlush(self.wrapOutboundOut(.head(result.head)), promise: nil)
    }

    /// `GET /bytes/{n}`: the head now, the body as the peer reads it.
    func startStreaming(_ count: Int, for request: IncomingRequest, context: ChannelHandlerContext) {
        let result = self.application.heads.head(
            status: .ok,
            for: request,
            contentType: "application/octet-stream",
            contentLength: count,
            caching: .cacheable(etag: BytePattern.etag(length: count)),
            etag: { BytePattern.etag(length: count) }
        )
        context.write(self.wrapOutboundOut(.head(result.head)), promise: nil)
        guard result.writesBody, count > 0 else {
            self.writeEnd(for: request, context: context)
            return
        }
        self.state = .streaming(request, ByteStreamWriter(length: count))
        self.continueStreaming(context: context)
    }

    func continueStreaming(context: ChannelHandlerContext) {
        guard !self.isStreaming, case .streaming(let request, let writer) = self.state else { return }
        self.isStreaming = true
        let finished = writer.writeWhileWritable(context: context)
        self.isStreaming = false
        // The connection may have closed during the flush.
        guard finished, case .streaming = self.state else { return }
        self.state = .idle
        self.writeEnd(for: request, context: context)
    }

    /// `GET /delay/{ms}`: a timer on the connection's event loop, never a blocked thread.
    func scheduleDelayedAnswer(after milliseconds: Int, for request: IncomingRequest, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) {
            let (handler, context) = bound.value
            handler.finishDelay(milliseconds: milliseconds, context: context)
        }
        self.state = .delaying(request, task)
    }

    private func finishDelay(milliseconds: Int, context: ChannelHandlerContext) {
        guard case .delaying(let request, _) = self.state else { return }
        self.state = .idle
        self.write(self.application.diagnostics.delayed(milliseconds: milliseconds), for: request, context: context)
    }
}
