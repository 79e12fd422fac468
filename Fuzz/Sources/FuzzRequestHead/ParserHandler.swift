// ParserHandler: ClientRequestParser as a handler, reading bytes as ProxyHandler's channelRead does.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// ProxyHandler parses the client's bytes itself; this does the same in front of the harness's
/// `RequestRecorder`, so that the parts the proxy would act on can be compared with NIO's
/// decoder's. A refusal goes on as `errorCaught`, and nothing after it is parsed; FIN inside a
/// request is refused as ProxyHandler refuses it.
final class ParserHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPServerRequestPart

    private var parser: ClientRequestParser

    init(maxHeadBytes: Int) {
        parser = ClientRequestParser(maxHeadBytes: maxHeadBytes)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        do {
            while let part = try parser.next(&buffer) {
                context.fireChannelRead(wrapInboundOut(part))
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent, parser.isInsideRequest {
            context.fireErrorCaught(HTTPSyntaxError("connection closed inside a request"))
        }
        context.fireUserInboundEventTriggered(event)
    }
}
