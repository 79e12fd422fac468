// The connections a TestListener accepted, shared under one lock.
import NIOCore

struct TestListenerConnections {
    private(set) var accepted = 0
    private(set) var shuttingDown = false
    private var open: [ObjectIdentifier: any Channel] = [:]

    /// Registers an accepted connection and returns its number (1 for the first); nil once the
    /// listener is shutting down.
    mutating func accept(_ channel: any Channel) -> Int? {
        guard !self.shuttingDown else { return nil }
        self.accepted += 1
        self.open[ObjectIdentifier(channel)] = channel
        return self.accepted
    }

    mutating func closed(_ channel: any Channel) {
        self.open[ObjectIdentifier(channel)] = nil
    }

    /// The connections not closed yet.
    var openChannels: [any Channel] {
        Array(self.open.values)
    }

    /// Refuses connections from now on; returns the open ones, to be closed outside the lock.
    mutating func beginShutdown() -> [any Channel] {
        self.shuttingDown = true
        return self.openChannels
    }
}
