// UpstreamServerSet: the configured origin servers, resolved once, with a shared "down until" mark.
import Atomics
import GatehouseCore
import NIOCore
import NIOPosix

/// The origin servers of `upstream.servers` and which of them recently refused connections.
///
/// Shared by every event loop's pool: the only cross-thread state is one atomic deadline per
/// server, so picking a server never takes a lock.
final class UpstreamServerSet: Sendable {
    /// How long a server that refused or timed out a connection is skipped (nginx's fail_timeout).
    static let cooldown: TimeAmount = .seconds(10)

    let servers: [UpstreamServerAddress]
    let addresses: [SocketAddress]
    /// `servers` as the access log names them, formatted once rather than per request.
    let names: [String]
    private let downUntil: [ManagedAtomic<Int64>]

    /// Resolves every server's address; call off the event loops (getaddrinfo blocks).
    init(servers: [UpstreamServerAddress]) throws {
        self.servers = servers
        self.names = servers.map(\.description)
        self.addresses = try servers.map(Self.address(of:))
        self.downUntil = servers.map { _ in ManagedAtomic<Int64>(0) }
    }

    /// `server`'s socket address, its host resolved (getaddrinfo: call off the event loops).
    static func address(of server: UpstreamServerAddress) throws -> SocketAddress {
        try SocketAddress.makeAddressResolvingHost(server.host, port: server.port)
    }

    var count: Int { servers.count }

    func isAvailable(_ index: Int, now: NIODeadline = .now()) -> Bool {
        downUntil[index].load(ordering: .relaxed) <= now.uptimeNanoseconds.clampedToInt64
    }

    func markFailed(_ index: Int, now: NIODeadline = .now()) {
        let until = (now + Self.cooldown).uptimeNanoseconds.clampedToInt64
        downUntil[index].store(until, ordering: .relaxed)
    }

    func markHealthy(_ index: Int) {
        if downUntil[index].load(ordering: .relaxed) != 0 {
            downUntil[index].store(0, ordering: .relaxed)
        }
    }

    /// Whether any server is currently believed reachable.
    var anyAvailable: Bool {
        let now = NIODeadline.now()
        return servers.indices.contains { isAvailable($0, now: now) }
    }
}

extension UInt64 {
    fileprivate var clampedToInt64: Int64 {
        self > UInt64(Int64.max) ? Int64.max : Int64(self)
    }
}
