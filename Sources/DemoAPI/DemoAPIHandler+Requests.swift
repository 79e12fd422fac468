// DemoAPIHandler: the request side — head, body and end — and dispatch to the endpoints.
import NIOCore
import NIOHTTP1

extension DemoAPIHandler {
    func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = self.state else {
            // NIO's pipelining helper delivers one request at a time; anything else is a bug we
            // will not answer into the middle of another response.
            context.close(promise: nil)
            return
        }
        self.application.stats.record(target: head.uri)
        let request = IncomingRequest(head: head)
        if request.expectsContinue {
            context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        switch (request.route, request.method) {
        case (.echo?, .POST):
            self.state = .receiving(request, .echo)
            self.startEcho(for: request, context: context)
        case (.users?, .POST), (.user?, .PUT), (.user?, .PATCH):
            self.state = .receiving(request, .collect(context.channel.allocator.buffer(capacity: 0), tooLarge: false))
        default:
            self.state = .receiving(request, .discard)
        }
    }

    func receiveBody(_ part: ByteBuffer, context: ChannelHandlerContext) {
        switch self.state {
        case .receiving(let request, .collect(var collected, let tooLarge)):
            // Leave the state without its reference to the buffer so appending does not copy it.
            self.state = .receiving(request, .discard)
            if tooLarge || collected.readableBytes + part.readableBytes > Self.maxJSONBodyBytes {
                self.state = .receiving(request, .collect(ByteBuffer(), tooLarge: true))
            } else {
                var part = part
                collected.writeBuffer(&part)
                self.state = .receiving(request, .collect(collected, tooLarge: false))
            }
        case .receiving(_, .echo):
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
        default:
            break
        }
    }

    func receiveEnd(context: ChannelHandlerContext) {
        guard case .receiving(let request, let body) = self.state else { return }
        self.state = .idle
        switch body {
        case .echo:
            self.writeEnd(for: request, context: context)
        case .collect(_, tooLarge: true):
            let error = APIError(code: .payloadTooLarge, message: "request body exceeds \(Self.maxJSONBodyBytes) bytes")
            self.write(.error(error, allocator: context.channel.allocator), for: request, context: context)
        case .collect(let collected, tooLarge: false):
            self.dispatch(request, body: collected, context: context)
        case .discard:
            self.dispatch(request, body: ByteBuffer(), context: context)
        }
    }

    private func dispatch(_ request: IncomingRequest, body: ByteBuffer, context: ChannelHandlerContext) {
        let application = self.application
        guard let route = request.route else {
            let error = APIError.notFound("no route for \(request.method.rawValue) \(request.target.path)")
            self.write(.error(error, allocator: context.channel.allocator), for: request, context: context)
            return
        }
        guard route.allowedMethods.contains(request.method) else {
            let error = APIError(code: .methodNotAllowed, message: "\(request.method.rawValue) is not allowed on \(request.target.path)")
            var response = JSONResponse.error(error, allocator: context.channel.allocator)
            response.extraHeaders.append((name: "Allow", value: route.allowHeader))
            self.write(response, for: request, context: context)
            return
        }
        let response: JSONResponse
        switch route {
        case .users where request.method == .POST:
            response = application.users.create(body: body)
        case .users:
            response = application.users.list(request.target)
        case .user(let id):
            switch request.method {
            case .PUT: response = application.users.update(id: id, body: body, mode: .complete)
            case .PATCH: response = application.users.update(id: id, body: body, mode: .partial)
            case .DELETE: response = application.users.delete(id: id)
            default: response = application.users.get(id: id)
            }
        case .health:
            response = application.diagnostics.health()
        case .nocache:
            response = application.diagnostics.nocache()
        case .headers:
            response = application.diagnostics.headers(request.head.headers)
        case .stats:
            response = application.diagnostics.statistics()
        case .bytes(let raw):
            switch application.diagnostics.byteCount(raw) {
            case .success(let count):
                self.startStreaming(count, for: request, context: context)
                return
            case .failure(let error):
                response = .error(error, allocator: context.channel.allocator)
            }
        case .delay(let raw):
            switch application.diagnostics.delay(raw) {
            case .success(let milliseconds):
                self.scheduleDelayedAnswer(after: milliseconds, for: request, context: context)
                return
            case .failure(let error):
                response = .error(error, allocator: context.channel.allocator)
            }
        case .echo:
            // POST /echo never gets here (it streams from its head); other methods got a 405.
            response = .error(APIError(code: .internalError, message: "echo was not started"), allocator: context.channel.allocator)
        }
        self.write(response, for: request, context: context)
    }
}
