// ProxyHarness: a Gatehouse ProxyServer on port 0 in front of a test upstream, for end-to-end tests.
import GatehouseCore
@testable import GatehouseServer
import GatehouseTesting
import Logging
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// Starts a real proxy (real sockets) in front of the given upstream ports.
struct ProxyHarness {
    let server: ProxyServer
    let port: Int
    var adminPort: Int { server.adminPort ?? 0 }

    /// A proxy in front of `upstreamPorts` on 127.0.0.1. `logger`: where its log goes (by
    /// default nowhere below critical); `resolver`: how it resolves upstream host names.
    /// `waitForRedis: false` returns as soon as `ProxyServer.start` does, as `gatehouse run`
    /// starts serving.
    static func start(
        upstreamPorts: [Int],
        configPath: String? = nil,
        waitForRedis: Bool = true,
        logger: Logger? = nil,
        resolver: any UpstreamAddressResolver = SystemAddressResolver(),
        configure: (inout GatehouseConfig) -> Void = { _ in }
    ) async throws -> ProxyHarness {
        var config = GatehouseConfig(upstream: UpstreamConfig(
            servers: upstreamPorts.map { UpstreamServerAddress(host: "127.0.0.1", port: $0) }
        ))
        config.server.listen = ListenAddress(host: "127.0.0.1", port: 0)
        config.server.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        config.server.accessLog = .off
        configure(&config)
        let server = try await ProxyServer.start(
            config: config, group: MultiThreadedEventLoopGroup.singleton, logger: logger ?? Self.quietLogger,
            configPath: configPath, resolver: resolver
        )
        guard let port = server.port else { throw HarnessError.notBound }
        // A test's first request must not find its store still connecting (and be bypassed).
        if waitForRedis, !(await server.redisConnected(within: .seconds(10))) { throw HarnessError.redisNotConnected }
        return ProxyHarness(server: server, port: port)
    }

    /// Starts a test upstream with `behaviour` and a proxy in front of it.
    static func start(
        behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour,
        configure: (inout GatehouseConfig) -> Void = { _ in }
    ) async throws -> (ProxyHarness, TestUpstreamServer) {
        let upstream = try await TestUpstreamServer.start(behaviour: behaviour)
        let proxy = try await start(upstreamPorts: [upstream.port], configure: configure)
        return (proxy, upstream)
    }

    private static var quietLogger: Logger {
        var logger = Logger(label: "gatehouse-test")
        logger.logLevel = .critical
        return logger
    }

    func stop() async throws {
        try await server.shutdown()
    }

    enum HarnessError: Error {
        case notBound
        case redisNotConnected
    }
}

/// A port that refuses connections for as long as the process lives: bound but never listened
/// on, so no other test can take it meanwhile (a released port could be reused at once by a
/// test running in parallel).
func closedPort() throws -> Int {
    try RefusingPort.shared.port
}

/// One socket bound to 127.0.0.1:0 without `listen`, kept open for the whole test run.
final class RefusingPort: Sendable {
    static let shared = RefusingPort()
    private let result: Result<Int, PortError>

    struct PortError: Error {}

    private init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        result = fd >= 0 && bound ? .success(Int(UInt16(bigEndian: address.sin_port))) : .failure(PortError())
    }

    var port: Int {
        get throws { try result.get() }
    }
}
