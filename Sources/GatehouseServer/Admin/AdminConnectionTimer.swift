// AdminConnectionTimer: closes admin connections that sit idle or take too long to send a request.
import GatehouseCore
import NIOCore

/// The admin listener's counterpart of the proxy's `ConnectionGuard`, in front of its HTTP codec:
/// a connection waiting for a request is closed after `idle_timeout`, and a request whose first
/// byte has arrived must be complete within `read_header_timeout` or is answered 408. Without
/// it an admin connection could hold a descriptor for ever, one byte at a time (slowloris),
/// and the descriptors are the proxy's too.
final class AdminConnectionTimer {
    enum State {
        /// Waiting for the first byte of a request.
        case waiting
        /// A request has begun and is not complete yet.
        case receiving
        /// The request is complete and being answered: no limit here (a reload takes its time).
        case answering
        case closed
    }

    private var state: State = .waiting
    private var timer: Scheduled<Void>?
    private let idleTimeout: TimeAmount
    private let requestTimeout: TimeAmount

    init(idleTimeout: TimeAmount, requestTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
    }

    private func arm(_ amount: TimeAmount, context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.scheduleTask(in: amount) { [self] in
            expired(context: context)
        }
    }

    private func expired(context: ChannelHandlerContext) {
        timer = nil
        switch state {
        case .waiting:
            context.close(promise: nil)
        case .receiving:
            let refusal = GatehouseError(.requestTimeout, "The admin request was not received in time")
            let bytes = RawErrorResponse.bytes(for: refusal, allocator: context.channel.allocator)
            context.writeAndFlush(NIOAny(bytes)).whenComplete { _ in
                context.close(promise: nil)
            }
        case .answering, .closed:
            return
        }
        state = .closed
    }
}

extension AdminConnectionTimer: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    func channelActive(context: ChannelHandlerContext) {
        arm(idleTimeout, context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .waiting = state {
            state = .receiving
            arm(requestTimeout, context: context)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let exchange = event as? AdminExchangeEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch (exchange, state) {
        case (.requestReceived, .waiting), (.requestReceived, .receiving):
            state = .answering
            timer?.cancel()
            timer = nil
        case (.responded, .answering):
            state = .waiting
            arm(idleTimeout, context: context)
        default:
            break
        }
        promise?.succeed(())
    }
}
