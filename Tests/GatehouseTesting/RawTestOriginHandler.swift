// Channel handler behind RawTestOrigin: reads request heads and answers each with its steps, one request at a time.
import NIOCore

/// Requests on the connection are answered in the order they came, each once the steps of the
/// one before it ran (a pipelined request waits, as at an origin that reads one at a time).
/// Request bodies are not read: the tests that use it send none.
final class RawTestOriginHandler {
    private let connectionNumber: Int
    private let answer: @Sendable (_ requestLine: String, _ connection: Int) -> [RawTestOriginStep]
    /// Told of each request line as it arrives, with the bytes of its whole head.
    private let received: @Sendable (_ line: String, _ head: [UInt8]) -> Void
    private var unread = ByteBuffer()
    /// Request lines waiting for the answer in progress to finish.
    private var waiting: [String] = []
    private var answering = false
    private var closed = false

    init(
        connectionNumber: Int,
        answer: @escaping @Sendable (_ requestLine: String, _ connection: Int) -> [RawTestOriginStep],
        received: @escaping @Sendable (_ line: String, _ head: [UInt8]) -> Void
    ) {
        self.connectionNumber = connectionNumber
        self.answer = answer
        self.received = received
    }
}

extension RawTestOriginHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        self.unread.writeBuffer(&buffer)
        while let (line, head) = self.nextRequest() {
            self.received(line, head)
            self.waiting.append(line)
        }
        self.answerNext(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The proxy closed its side (the listener allows half-closure): no more requests.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.waiting = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension RawTestOriginHandler {
    /// The request line and the bytes of the next complete head in `unread`, which is consumed.
    private func nextRequest() -> (line: String, head: [UInt8])? {
        let bytes = Array(self.unread.readableBytesView)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        guard let found = bytes.indices.dropLast(3).first(where: { bytes[$0..<($0 + 4)].elementsEqual(end) }) else {
            return nil
        }
        let head = String(decoding: bytes[..<found], as: UTF8.self)
        self.unread.moveReaderIndex(forwardBy: found + 4)
        self.unread.discardReadBytes()
        return (head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? "", Array(bytes[..<(found + 4)]))
    }

    private func answerNext(context: ChannelHandlerContext) {
        guard !self.answering, !self.waiting.isEmpty else { return }
        let line = self.waiting.removeFirst()
        self.answering = true
        self.run(self.answer(line, self.connectionNumber)[...], context: context)
    }

    private func run(_ steps: ArraySlice<RawTestOriginStep>, context: ChannelHandlerContext) {
        var steps = steps
        while let step = steps.popFirst() {
            switch step {
            case .write(let text):
                context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            case .writeBytes(let bytes):
                context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
            case .waitFor(let gate):
                let rest = NIOLoopBound((handler: self, context: context, steps: steps), eventLoop: context.eventLoop)
                gate.whenOpen(on: context.eventLoop) {
                    // A connection closed meanwhile has nothing more to answer.
                    guard !rest.value.handler.closed else { return }
                    rest.value.handler.run(rest.value.steps, context: rest.value.context)
                }
                return
            case .close:
                self.waiting = []
                context.close(promise: nil)
                return
            }
        }
        self.answering = false
        self.answerNext(context: context)
    }
}
