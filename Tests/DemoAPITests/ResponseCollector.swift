// Assembles response parts into TestResponses, answering requests in the order they were sent.
import NIOCore
import NIOHTTP1

/// Touched only on its channel's event loop (the client hops there before using it).
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var waiting = CircularBuffer<EventLoopPromise<TestResponse>>()
    private var current: TestResponse?
    /// Inside a `100 Continue`, which is not the answer.
    private var skippingInterim = false

    func expect(_ promise: EventLoopPromise<TestResponse>) {
        self.waiting.append(promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            if (100..<200).contains(head.status.code) {
                self.skippingInterim = true
                return
            }
            self.current = TestResponse(status: head.status, headers: head.headers, body: context.channel.allocator.buffer(capacity: 0))
        case .body(var part):
            self.current?.body.writeBuffer(&part)
        case .end:
            if self.skippingInterim {
                self.skippingInterim = false
                return
            }
            if let response = self.current, !self.waiting.isEmpty {
                self.waiting.removeFirst().succeed(response)
            }
            self.current = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while !self.waiting.isEmpty {
            self.waiting.removeFirst().fail(error)
        }
    }
}
