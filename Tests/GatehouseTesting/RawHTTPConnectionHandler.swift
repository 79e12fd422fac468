// Channel handler behind RawHTTPConnection: records received bytes and wakes a waiting reader.
import NIOConcurrencyHelpers
import NIOCore

final class RawHTTPConnectionHandler {
    private let inbox: NIOLockedValueBox<RawHTTPInbox>

    init(inbox: NIOLockedValueBox<RawHTTPInbox>) {
        self.inbox = inbox
    }
}

extension RawHTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        let waiter = self.inbox.withLockedValue { inbox in
            inbox.allBytes.append(contentsOf: buffer.readableBytesView)
            inbox.unparsed.writeBuffer(&buffer)
            return inbox.takeWaiter()
        }
        waiter?.succeed(())
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.peerClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The peer's FIN on a connection that keeps writing after it: nothing more to read.
        if case ChannelEvent.inputClosed = event {
            self.peerClosed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func peerClosed() {
        let waiter = self.inbox.withLockedValue { inbox in
            inbox.closed = true
            return inbox.takeWaiter()
        }
        waiter?.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset is just another way for the peer to close; the reader sees it as a close.
        context.close(promise: nil)
    }
}
