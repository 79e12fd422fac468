// The open connections of a server, so shutdown can close them rather than leave them behind.
import NIOConcurrencyHelpers
import NIOCore

final class ConnectionRegistry: Sendable {
    private struct Registry {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isClosed = false
    }

    private let registry = NIOLockedValueBox(Registry())

    /// Tracks `channel` until it closes; closes it at once if ``closeAll()`` has run, so a
    /// connection accepted just before the listener closed is not left behind.
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let accepted = self.registry.withLockedValue { registry -> Bool in
            guard !registry.isClosed else { return false }
            registry.channels[id] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { _ in
            self.registry.withLockedValue { _ = $0.channels.removeValue(forKey: id) }
        }
    }

    /// Closes every tracked connection and waits until they are closed.
    func closeAll() async {
        let open = self.registry.withLockedValue { registry -> [any Channel] in
            registry.isClosed = true
            return Array(registry.channels.values)
        }
        for channel in open {
            channel.close(promise: nil)
        }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }
}
