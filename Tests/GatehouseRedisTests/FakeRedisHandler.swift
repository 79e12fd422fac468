// FakeRedisHandler: answers just enough RESP for FakeRedisServer, plus bytes RESP forbids.
import NIOCore

/// Replies per command seen in the accumulated input: `+PONG` for PING, `!oops` for GARBAGE,
/// `+OK` and a close for QUIT.
final class FakeRedisHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var received = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        var reply = ""
        var quit = false
        let answers = ["\r\nPING\r\n": "+PONG\r\n", "\r\nGARBAGE\r\n": "!oops\r\n", "\r\nQUIT\r\n": "+OK\r\n"]
        while let (command, range) = answers.keys.compactMap({ key in received.range(of: key).map { (key, $0) } })
            .min(by: { $0.1.lowerBound < $1.1.lowerBound }) {
            reply += answers[command] ?? ""
            quit = quit || command.contains("QUIT")
            received.removeSubrange(received.startIndex..<range.upperBound)
        }
        guard !reply.isEmpty else { return }
        let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply)))
        if quit {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
