// HeadFirstOriginHandler: one connection of HeadFirstOrigin — answer each head at once, then skip its body.
import NIOConcurrencyHelpers
import NIOCore

/// Reads request heads off the raw bytes; answers each as soon as its head is complete, then
/// reads and drops as many bytes as its `Content-Length` declared before the next head (RFC 9112
/// lets a server answer before the body). Chunked bodies are not supported: the tests using it
/// send none.
final class HeadFirstOriginHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: Int
    private let answer: @Sendable (HeadFirstRequest) -> HeadFirstOrigin.Answer
    private let log: NIOLockedValueBox<[HeadFirstRequest]>
    private var pending = ByteBuffer()
    /// Body bytes of the last request still to skip.
    private var toSkip = 0

    init(
        connection: Int, answer: @escaping @Sendable (HeadFirstRequest) -> HeadFirstOrigin.Answer,
        log: NIOLockedValueBox<[HeadFirstRequest]>
    ) {
        self.connection = connection
        self.answer = answer
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = Self.unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        while true {
            if toSkip > 0 {
                let skipped = min(toSkip, pending.readableBytes)
                pending.moveReaderIndex(forwardBy: skipped)
                toSkip -= skipped
                if toSkip > 0 { break }
            }
            guard let request = nextHead() else { break }
            log.withLockedValue { $0.append(request) }
            context.writeAndFlush(Self.wrapOutboundOut(answer(request).bytes), promise: nil)
            toSkip = request.declaredLength
        }
        pending.discardReadBytes()
    }

    /// The next complete head in `pending`, consumed; nil until one is complete.
    private func nextHead() -> HeadFirstRequest? {
        let view = pending.readableBytesView
        guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let length = end.upperBound - view.startIndex
        guard let text = pending.readString(length: length) else { return nil }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
        let requestLine = lines.removeFirst().split(separator: " ").map(String.init)
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[line[..<colon].lowercased()] = value
        }
        return HeadFirstRequest(
            method: requestLine.first ?? "", path: requestLine.count > 1 ? requestLine[1] : "", fields: fields,
            headBytes: length, connection: connection
        )
    }
}
