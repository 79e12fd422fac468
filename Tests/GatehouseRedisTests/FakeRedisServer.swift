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

/// Replies per command seen in the accumulated input: `+PONG` for PING, `!oops` for GARBAGE.
final class FakeRedisHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var received = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        var reply = ""
        while let range = received.range(of: "\r\nPING\r\n") ?? received.range(of: "\r\nGARBAGE\r\n") {
            reply += received[range].contains("PING") ? "+PONG\r\n" : "!oops\r\n"
            received.removeSubrange(received.startIndex..<range.upperBound)
        }
        guard !reply.isEmpty else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
    }
}
