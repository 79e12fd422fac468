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
