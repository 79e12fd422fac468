// AdminHandler: reads one admin request at a time and answers it through the AdminRouter.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// The admin listener's connection handler. Admin traffic is rare and small, so the body is
/// collected whole (up to `maxBodyBytes`) and routing may be asynchronous (reload reads a file).
final class AdminHandler {
    enum State {
        case idle
        case receiving(HTTPRequestHead, [UInt8])
        case responding
        case refused
    }

    static let maxBodyBytes = 64 * 1024
    private var state: State = .idle
    private let router: AdminRouter

    init(router: AdminRouter) {
        self.router = router
    }
}

extension AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            state = .receiving(head, [])
        case (.body(let buffer), .receiving(let head, var body)):
            guard body.count + buffer.readableBytes <= Self.maxBodyBytes else {
                state = .refused
                respond(context: context, head: head, .error(GatehouseError(.payloadTooLarge, "Admin request body too large")), close: true)
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            state = .responding
            context.triggerUserOutboundEvent(AdminExchangeEvent.requestReceived, promise: nil)
            let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
            let request = AdminRequest(method: head.method, path: path, headers: head.headers, body: body)
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            router.route(request, on: context.eventLoop).whenComplete { result in
                let (handler, context) = loopBound.value
                let response: AdminResponse
                switch result {
                case .success(let answer):
                    response = answer
                case .failure(let error):
                    response = .error(GatehouseError.wrapping(error))
                }
                handler.respond(context: context, head: head, response, close: !head.isKeepAlive)
            }
        case (_, .refused):
            break
        default:
            state = .refused
            context.close(promise: nil)
        }
    }

    /// Bytes NIO's decoder cannot read as a request are refused in the JSON of every other
    /// refusal (DESIGN.md §8), where NIO's own error handler sent a bare 400 with no body; the
    /// connection then closes. An error queued behind a response comes once it has gone out.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let head: HTTPRequestHead
        switch state {
        case .idle:
            head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        case .receiving(let received, _):
            head = received
        case .responding, .refused:
            context.close(promise: nil)
            return
        }
        state = .refused
        let refusal = parserError == .headerOverflow
            ? GatehouseError(.headersTooLarge, "Admin request head too large")
            : GatehouseError(.badRequest, "Malformed admin request")
        respond(context: context, head: head, .error(refusal), close: true)
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, _ response: AdminResponse, close: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        for field in response.headers {
            headers.add(name: field.name, value: field.value)
        }
        let body = context.channel.allocator.buffer(string: response.body)
        headers.add(name: "content-length", value: String(body.readableBytes))
        if close { headers.add(name: "connection", value: "close") }
        let responseHead = HTTPResponseHead(
            version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers
        )
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            done.whenComplete { _ in context.close(promise: nil) }
        } else if case .responding = state {
            state = .idle
            context.triggerUserOutboundEvent(AdminExchangeEvent.responded, promise: nil)
        }
    }
}
