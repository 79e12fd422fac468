// ConnectionRegistry: the open client connections, so a drain that times out can close them.
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

    /// Closes every connection still open (the drain timeout's last resort).
    func closeAll() {
        let open = channels.withLockedValue { Array($0.values) }
        for channel in open {
            channel.close(promise: nil)
        }
    }
}
