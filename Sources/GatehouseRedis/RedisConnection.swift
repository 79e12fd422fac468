// RedisConnection: one NIO channel to Redis, authenticated and on its database, ready for commands.
import GatehouseCore
import NIOCore
import NIOPosix

/// A connected, handshaken Redis connection. ``send(_:)`` and ``pendingCount`` must be used on
/// ``eventLoop``; the rest from anywhere.
final class RedisConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<RedisConnectionHandler>

    private init(channel: any Channel, handler: RedisConnectionHandler) {
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    var eventLoop: any EventLoop { channel.eventLoop }
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Commands written and not yet answered (event loop only).
    var pendingCount: Int { handler.value.pendingCount }

    /// Writes a command; the future completes on ``eventLoop`` (event loop only).
    func send(_ arguments: [RedisArgument]) -> EventLoopFuture<RedisValue> {
        let promise = eventLoop.makePromise(of: RedisValue.self)
        handler.value.send(arguments, promise: promise)
        return promise.futureResult
    }

    /// Closes after the replies already on their way: QUIT is answered after everything before it.
    func quit() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.send(["QUIT"]).whenComplete { _ in
                self.channel.close(promise: nil)
            }
            return self.closeFuture
        }
    }

    /// Closes at once; pending commands fail with ``RedisError/connectionClosed``.
    func close() {
        channel.close(promise: nil)
    }
}

extension RedisConnection {
    /// Connects to `endpoint` on `eventLoop`, then AUTHs, SELECTs and PINGs (pipelined, one round
    /// trip). Fails with a ``RedisError``; a half-made channel is closed.
    static func connect(
        to endpoint: RedisEndpoint,
        on eventLoop: any EventLoop,
        commandTimeout: TimeAmount,
        connectTimeout: TimeAmount,
        recorder: RedisEventRecorder
    ) -> EventLoopFuture<RedisConnection> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RedisConnectionHandler(commandTimeout: commandTimeout, recorder: recorder)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let connected: EventLoopFuture<any Channel>
        switch endpoint.transport {
        case .tcp(let host, let port):
            connected = bootstrap.connect(host: host, port: port)
        case .unix(let path):
            connected = bootstrap.connect(unixDomainSocketPath: path)
        }
        return connected
            .flatMapErrorThrowing { error in
                throw RedisError.connectFailed(String(describing: error))
            }
            .flatMap { channel in
                let connection: RedisConnection
                do {
                    let handler = try channel.pipeline.syncOperations.handler(type: RedisConnectionHandler.self)
                    connection = RedisConnection(channel: channel, handler: handler)
                } catch {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(RedisError.connectFailed(String(describing: error)))
                }
                return connection.handshake(endpoint)
                    .map { connection }
                    .flatMapErrorThrowing { error in
                        connection.close()
                        throw error
                    }
            }
    }

    private func handshake(_ endpoint: RedisEndpoint) -> EventLoopFuture<Void> {
        var commands: [[RedisArgument]] = []
        if let password = endpoint.password, !password.isEmpty {
            commands.append(["AUTH", .string(password)])
        }
        if endpoint.database != 0 {
            commands.append(["SELECT", .integer(endpoint.database)])
        }
        // Always PING: a connect() the kernel accepted says nothing about a Redis stuck in a script.
        commands.append(["PING"])
        let replies = commands.map { send($0) }
        return EventLoopFuture.whenAllSucceed(replies, on: eventLoop).flatMapThrowing { values in
            for value in values {
                if case .error(let message) = value {
                    throw RedisError.handshakeFailed(message)
                }
            }
        }
    }
}
