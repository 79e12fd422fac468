// Channel handler behind TestHTTPClient: sends one request at a time and gathers its response.
import NIOCore
import NIOHTTP1

/// Runs exchanges strictly one after another on one keep-alive connection.
///
/// An exchange arrives as an outbound write (so the client never needs a reference to the handler
/// across threads); the response parts arrive from NIO's response decoder.
final class TestHTTPClientHandler {
    private enum State {
        case idle
        case exchanging(InFlight)
        case closed
    }

    /// Mutable bookkeeping of the exchange in flight; a class so callbacks update it in place.
    private final class InFlight {
        let exchange: TestHTTPClientExchange
        var timer: Scheduled<Void>?
        var responseHead: HTTPResponseHead?
        var body: [UInt8] = []
        var checksum = TestBodyChecksum()
        var uploadRemaining = 0
        var uploadChunk = ByteBuffer()
        var requestEndWritten = false
        var failure: (any Error)?

        init(exchange: TestHTTPClientExchange) {
            self.exchange = exchange
        }

        func result(complete: Bool) -> TestHTTPClientExchangeResult? {
            guard let head = self.responseHead else { return nil }
            return TestHTTPClientExchangeResult(
                status: Int(head.status.code),
                headers: head.headers.map { (name: $0.name, value: $0.value) },
                body: self.body,
                checksum: self.checksum,
                complete: complete
            )
        }
    }

    private var state = State.idle
}

extension TestHTTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = TestHTTPClientExchange
    typealias OutboundOut = HTTPClientRequestPart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = Self.unwrapOutboundIn(data)
        promise?.succeed(())
        switch self.state {
        case .idle:
            self.start(exchange, context: context)
        case .exchanging:
            exchange.promise.fail(TestHTTPClientError.requestInFlight)
        case .closed:
            exchange.promise.fail(TestHTTPClientError.connectionClosed)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A response nobody asked for (say, a 408 on an idle connection) has no exchange to go to.
        guard case .exchanging(let inFlight) = self.state else { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            inFlight.responseHead = head
        case .body(let buffer):
            inFlight.checksum.update(buffer)
            if inFlight.exchange.storesBody {
                inFlight.body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            self.finish(inFlight, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .exchanging(let inFlight) = self.state, context.channel.isWritable {
            self.pumpUpload(inFlight, context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The connection is unusable after any error; channelInactive reports it to the exchange.
        if case .exchanging(let inFlight) = self.state, inFlight.failure == nil {
            inFlight.failure = error
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connectionEnded()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.connectionEnded()
    }
}

extension TestHTTPClientHandler {
    private func start(_ exchange: TestHTTPClientExchange, context: ChannelHandlerContext) {
        let inFlight = InFlight(exchange: exchange)
        self.state = .exchanging(inFlight)
        inFlight.timer = context.eventLoop.assumeIsolated().scheduleTask(in: exchange.timeout) {
            self.timedOut(inFlight, context: context)
        }
        context.write(Self.wrapOutboundOut(.head(exchange.head)), promise: nil)
        switch exchange.body {
        case .none:
            self.writeRequestEnd(inFlight, context: context)
        case .bytes(let buffer):
            if buffer.readableBytes > 0 {
                context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            self.writeRequestEnd(inFlight, context: context)
        case .generated(let length, let chunk):
            inFlight.uploadRemaining = length
            inFlight.uploadChunk = chunk
            self.pumpUpload(inFlight, context: context)
        }
        context.flush()
    }

    /// Writes generated body chunks while the channel accepts them; channelWritabilityChanged
    /// resumes it, so a 1 GiB upload never holds more than the channel's high-water mark.
    private func pumpUpload(_ inFlight: InFlight, context: ChannelHandlerContext) {
        guard !inFlight.requestEndWritten else { return }
        let chunkLength = inFlight.uploadChunk.readableBytes
        while context.channel.isWritable && inFlight.uploadRemaining > 0 && chunkLength > 0 {
            var slice = inFlight.uploadChunk
            let length = min(inFlight.uploadRemaining, chunkLength)
            slice.moveWriterIndex(to: slice.readerIndex + length)
            inFlight.uploadRemaining -= length
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(slice))), promise: nil)
        }
        if inFlight.uploadRemaining == 0 || chunkLength == 0 {
            self.writeRequestEnd(inFlight, context: context)
        }
        context.flush()
    }

    private func writeRequestEnd(_ inFlight: InFlight, context: ChannelHandlerContext) {
        inFlight.requestEndWritten = true
        context.write(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func finish(_ inFlight: InFlight, context: ChannelHandlerContext) {
        inFlight.timer?.cancel()
        // A response that ends before the upload did (say, an early 413) leaves half a request on
        // the wire; nothing sensible can follow it on this connection.
        let connectionUsable = inFlight.requestEndWritten
        self.state = connectionUsable ? .idle : .closed
        if let result = inFlight.result(complete: true) {
            inFlight.exchange.promise.succeed(result)
        } else {
            inFlight.exchange.promise.fail(TestHTTPClientError.connectionClosed)
        }
        if !connectionUsable {
            context.close(promise: nil)
        }
    }

    private func timedOut(_ inFlight: InFlight, context: ChannelHandlerContext) {
        guard case .exchanging(let current) = self.state, current === inFlight else { return }
        self.state = .closed
        inFlight.exchange.promise.fail(TestHTTPClientError.timeout)
        context.close(promise: nil)
    }

    private func connectionEnded() {
        guard case .exchanging(let inFlight) = self.state else {
            self.state = .closed
            return
        }
        self.state = .closed
        inFlight.timer?.cancel()
        if !inFlight.exchange.storesBody, let partial = inFlight.result(complete: false) {
            inFlight.exchange.promise.succeed(partial)
        } else {
            inFlight.exchange.promise.fail(Self.closedError(for: inFlight.failure))
        }
    }

    /// Resets, broken pipes and "EOF in the middle of a message" all mean the server cut the
    /// connection; only a genuinely malformed response is worth reporting as itself.
    private static func closedError(for failure: (any Error)?) -> any Error {
        switch failure {
        case .none, is IOError, is ChannelError:
            return TestHTTPClientError.connectionClosed
        case let parserError as HTTPParserError where parserError == .invalidEOFState:
            return TestHTTPClientError.connectionClosed
        case .some(let error):
            return error
        }
    }
}
