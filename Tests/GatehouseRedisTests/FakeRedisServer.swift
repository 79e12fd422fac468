// FakeRedisServer: a TCP peer that answers PING properly and GARBAGE with bytes RESP forbids.
import NIOCore
import NIOPosix

/// Only for the protocol-error test: a real redis-server never sends unparsable bytes.
struct FakeRedisServer {
    let channel: any Channel

    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(group: any EventLoopGroup) async throws -> FakeRedisServer {
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(FakeRedisHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeRedisServer(channel: channel)
    }

    func close() async throws {
        try await channel.close()
    }
}

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
            written.whenComplete { _ in context.close(promise: nil) }
        }
    }
}
