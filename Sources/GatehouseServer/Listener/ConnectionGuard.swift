// ConnectionGuard: the first handler of a client connection; idle and header timeouts, raw refusals.
import GatehouseCore
import NIOCore

/// Watches a client connection below the HTTP codec: closes it after `idle_timeout` without a
/// request, answers 408 when a started head is not complete within `read_header_timeout`
/// (slowloris), and writes whole error responses where the codec cannot (parse errors).
final class ConnectionGuard {
    enum State {
        /// Between requests, waiting for the first byte of the next head.
        case idle
        /// Bytes of a head have arrived; the head is not complete yet.
        case readingHead
        /// A request is being handled; its own timeouts apply.
        case busy
        case closed
    }

    private(set) var state: State = .idle
    private let idleTimeout: TimeAmount
    private let readHeaderTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Told about refusals this handler makes on its own (408), for metrics and the access log.
    var onTimeoutRefusal: ((GatehouseError) -> Void)?

    init(idleTimeout: TimeAmount, readHeaderTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.readHeaderTimeout = readHeaderTimeout
    }

    /// The HTTP handler parsed a complete head.
    func requestHeadReceived() {
        if case .closed = state { return }
        state = .busy
        cancelTimer()
    }

    /// The response to the current request is complete and the connection stays open.
    func requestFinished() {
        guard case .busy = state else { return }
        state = .idle
        arm(idleTimeout, then: .closeSilently)
    }

    /// Writes `error` as a whole response and closes the connection.
    func refuse(_ error: GatehouseError, requestID: String? = nil) {
        guard let context, !isClosed else { return }
        state = .closed
        cancelTimer()
        let bytes = RawErrorResponse.bytes(for: error, requestID: requestID, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private enum Expiry {
        case closeSilently
        case requestTimeout
    }

    private func arm(_ amount: TimeAmount, then expiry: Expiry) {
        cancelTimer()
        guard let context else { return }
        timer = context.eventLoop.scheduleTask(in: amount) { [weak self] in
            self?.expired(expiry)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func expired(_ expiry: Expiry) {
        timer = nil
        switch expiry {
        case .closeSilently:
            guard case .idle = state else { return }
            state = .closed
            context?.close(promise: nil)
        case .requestTimeout:
            guard case .readingHead = state else { return }
            let error = GatehouseError(.requestTimeout, "Request head not received within the read header timeout")
            onTimeoutRefusal?(error)
            refuse(error)
        }
    }
}

extension ConnectionGuard: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            arm(idleTimeout, then: .closeSilently)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(idleTimeout, then: .closeSilently)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .idle:
            state = .readingHead
            arm(readHeaderTimeout, then: .requestTimeout)
            context.fireChannelRead(data)
        case .readingHead, .busy:
            context.fireChannelRead(data)
        case .closed:
            break  // refused: nothing more is parsed
        }
    }
}
