// ClientRequestDecoder: reads a client's requests off the connection's bytes and passes their parts to the proxy.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 decoder of a client connection, on `ClientRequestParser`. A refusal reaches
/// `ProxyHandler` through `errorCaught` as an `HTTPSyntaxError` (400, or 431 when too large),
/// after the parts of the requests before it; nothing after it is read.
final class ClientRequestDecoder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPServerRequestPart

    private var parser: ClientRequestParser

    init(maxHeadBytes: Int) {
        parser = ClientRequestParser(maxHeadBytes: maxHeadBytes)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        do {
            while let event = try parser.next(&buffer) {
                context.fireChannelRead(wrapInboundOut(event))
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client sent FIN inside a request (its head or body can never be completed): the
        // same refusal NIO's decoder made of it.
        if case .some(.inputClosed) = event as? ChannelEvent, parser.isInsideRequest {
            context.fireErrorCaught(HTTPSyntaxError("connection closed inside a request"))
        }
        context.fireUserInboundEventTriggered(event)
    }
}
