// UpstreamConnection: one keep-alive connection to an origin server, owned by a pool.
import NIOCore
import NIOHTTP1

/// A connected upstream channel and the handler that relays its responses.
final class UpstreamConnection {
    let channel: any Channel
    let handler: UpstreamHandler
    /// Index into `UpstreamServerSet.servers`.
    let serverIndex: Int
    /// How many exchanges this connection has carried; > 0 means it came from the idle pool.
    var exchanges = 0

    init(channel: any Channel, handler: UpstreamHandler, serverIndex: Int) {
        self.channel = channel
        self.handler = handler
        self.serverIndex = serverIndex
    }

    var isReused: Bool { exchanges > 1 }

    func write(_ part: HTTPClientRequestPart) {
        channel.write(part, promise: nil)
    }

    func writeAndFlush(_ part: HTTPClientRequestPart) {
        channel.writeAndFlush(part, promise: nil)
    }

    func flush() {
        channel.flush()
    }

    /// Drops the connection, e.g. after an abandoned exchange whose framing is now unknown.
    func close() {
        handler.endExchange()
        channel.close(promise: nil)
    }
}
