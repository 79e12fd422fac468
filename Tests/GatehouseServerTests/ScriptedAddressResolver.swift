// ScriptedAddressResolver: a resolver whose answer the test sets, since a test cannot change the machine's DNS.
@testable import GatehouseServer
import NIOConcurrencyHelpers
import NIOCore

/// Answers every lookup with what the test last set: addresses, or a failure (as NXDOMAIN or a
/// DNS timeout would); counts the lookups. The answer is the same for every host name and
/// carries its own ports (the test origins' ports), whatever port the config gives.
final class ScriptedAddressResolver: UpstreamAddressResolver {
    private struct State {
        var answer: Result<[SocketAddress], UpstreamResolveError>
        var lookups = 0
    }

    private let state: NIOLockedValueBox<State>
    /// While false, lookups block (a DNS server that does not answer); counts those waiting.
    private let released = ConditionLock(value: true)
    private let blocked = NIOLockedValueBox(0)

    /// Resolves every name to `ports` on 127.0.0.1, in that order.
    init(loopbackPorts ports: [Int]) throws {
        state = NIOLockedValueBox(State(answer: .success(try Self.loopback(ports))))
    }

    /// From now on, names resolve to `ports` on 127.0.0.1.
    func answer(loopbackPorts ports: [Int]) throws {
        let addresses = try Self.loopback(ports)
        state.withLockedValue { $0.answer = .success(addresses) }
    }

    /// From now on, lookups answer no address at all (a resolver other than getaddrinfo may).
    func answerNothing() {
        state.withLockedValue { $0.answer = .success([]) }
    }

    /// From now on, every lookup fails.
    func fail() {
        state.withLockedValue { $0.answer = .failure(UpstreamResolveError(host: "scripted", reason: "Name or service not known")) }
    }

    /// From now on, lookups block until `releaseLookups`, as getaddrinfo does for its timeout
    /// times its attempts when the DNS server does not answer.
    func holdLookups() {
        released.lock()
        released.unlock(withValue: false)
    }

    /// Lets the lookups held by `holdLookups` (and later ones) go on.
    func releaseLookups() {
        released.lock()
        released.unlock(withValue: true)
    }

    /// How many lookups are blocked now.
    var blockedLookups: Int { blocked.withLockedValue { $0 } }

    /// How many lookups were made so far.
    var lookups: Int { state.withLockedValue(\.lookups) }

    func addresses(host: String, port: Int) throws -> [SocketAddress] {
        blocked.withLockedValue { $0 += 1 }
        released.lock(whenValue: true)
        released.unlock()
        blocked.withLockedValue { $0 -= 1 }
        return try state.withLockedValue { state in
            state.lookups += 1
            return try state.answer.get()
        }
    }

    private static func loopback(_ ports: [Int]) throws -> [SocketAddress] {
        try ports.map { try SocketAddress(ipAddress: "127.0.0.1", port: $0) }
    }
}
