// UpstreamServerSet: the configured origin servers, their current addresses and a shared "down until" mark.
import Atomics
import GatehouseCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The origin servers of `upstream.servers`, the addresses their names resolve to, and which of
/// them recently refused connections.
///
/// Shared by every event loop's pool. A server's failure mark is an atomic deadline, so picking
/// a server never takes a lock; its addresses are behind a lock read once per new connection
/// (not per request: a pooled connection does not look), and written when
/// `UpstreamAddressRefresher` finds that its name resolves to something else.
final class UpstreamServerSet: Sendable {
    /// How long a server that refused or timed out a connection is skipped (nginx's fail_timeout).
    static let cooldown: TimeAmount = .seconds(10)

    let servers: [UpstreamServerAddress]
    /// `servers` as the access log names them, formatted once rather than per request.
    let names: [String]
    /// The indices of the servers given by host name, not IP address: the ones to resolve again.
    let namedServers: [Int]
    let resolver: any UpstreamAddressResolver
    private let resolved: [NIOLockedValueBox<[SocketAddress]>]
    private let downUntil: [ManagedAtomic<Int64>]

    /// Resolves every server's address; call off the event loops (getaddrinfo blocks).
    init(servers: [UpstreamServerAddress], resolver: any UpstreamAddressResolver = SystemAddressResolver()) throws {
        self.servers = servers
        self.names = servers.map(\.description)
        self.resolver = resolver
        self.namedServers = servers.indices.filter { servers[$0].literalAddress == nil }
        self.resolved = try servers.map { NIOLockedValueBox(try Self.addresses(of: $0, resolver: resolver)) }
        self.downUntil = servers.map { _ in ManagedAtomic<Int64>(0) }
    }

    /// `server`'s socket addresses, its host resolved (getaddrinfo: call off the event loops); an
    /// IP address is taken as it is, never looked up. Never empty: a resolver answering no
    /// address is a failed lookup (a connect needs one).
    static func addresses(of server: UpstreamServerAddress, resolver: any UpstreamAddressResolver) throws -> [SocketAddress] {
        if let literal = server.literalAddress {
            return [literal]
        }
        let addresses = try resolver.addresses(host: server.host, port: server.port)
        guard !addresses.isEmpty else {
            throw UpstreamResolveError(host: server.host, reason: "no address")
        }
        return addresses
    }

    var count: Int { servers.count }

    /// The addresses to connect to server `index` at, preferred first; never empty.
    func addresses(of index: Int) -> [SocketAddress] {
        resolved[index].withLockedValue { $0 }
    }

    /// Takes `addresses` (not empty) as server `index`'s; false when they are the ones it had,
    /// in any order (a DNS server rotating its answers changes nothing). A change clears the
    /// server's failure mark: the addresses that earned it are gone, and a failover record that
    /// moved off a dead origin must be used at once, not after the cool-down or the next probe.
    func replaceAddresses(of index: Int, with addresses: [SocketAddress]) -> Bool {
        let changed = resolved[index].withLockedValue { current in
            guard Set(current) != Set(addresses) else { return false }
            current = addresses
            return true
        }
        if changed {
            markHealthy(index)
        }
        return changed
    }

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

extension UpstreamServerAddress {
    /// The address when the host is an IP address (nothing to resolve); nil for a name.
    fileprivate var literalAddress: SocketAddress? {
        try? SocketAddress(ipAddress: host, port: port)
    }
}

extension UInt64 {
    fileprivate var clampedToInt64: Int64 {
        self > UInt64(Int64.max) ? Int64.max : Int64(self)
    }
}
