// ConnectionRegistry: the open client connections, so a drain that times out can end them.
import NIOConcurrencyHelpers
import NIOCore

/// Tracks every open client channel; touched once per connection (open and close), never per request.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

    var count: Int { channels.withLockedValue { $0.count } }

    /// Ends every connection still open (the drain timeout's last resort): each is told
    /// (`DrainDeadline`), answers a request still waiting for one and closes; one still open
    /// `cutGrace` later (a client that takes nothing of that answer) is closed regardless.
    /// Returns once every connection has been told, so what they answered is counted and
    /// logged before the drain closes the access log.
    func closeAll() async {
        let open = channels.withLockedValue { Array($0.values) }
        let told = open.map { channel in
            channel.eventLoop.submit {
                channel.pipeline.syncOperations.fireUserInboundEventTriggered(DrainDeadline())
                channel.eventLoop.scheduleTask(in: Self.cutGrace) { channel.close(promise: nil) }
            }
        }
        for future in told {
            _ = try? await future.get()
        }
    }

    /// How long a connection told of the drain's deadline has to write its last answer.
    static let cutGrace = TimeAmount.seconds(1)
}
