// ProxyHarness: a Gatehouse ProxyServer on port 0 in front of a test upstream, for end-to-end tests.
import GatehouseCore
import GatehouseServer
import GatehouseTesting
import Logging
import NIOCore
import NIOPosix

/// Starts a real proxy (real sockets) in front of the given upstream ports.
struct ProxyHarness {
    let server: ProxyServer
    let port: Int
    var adminPort: Int { server.adminPort ?? 0 }

    static func start(
        upstreamPorts: [Int],
        configPath: String? = nil,
        configure: (inout GatehouseConfig) -> Void = { _ in }
    ) async throws -> ProxyHarness {
        var config = GatehouseConfig(upstream: UpstreamConfig(
            servers: upstreamPorts.map { UpstreamServerAddress(host: "127.0.0.1", port: $0) }
        ))
        config.server.listen = ListenAddress(host: "127.0.0.1", port: 0)
        config.server.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        config.server.accessLog = .off
        configure(&config)
        var logger = Logger(label: "gatehouse-test")
        logger.logLevel = .critical
        let server = try await ProxyServer.start(
            config: config, group: MultiThreadedEventLoopGroup.singleton, logger: logger, configPath: configPath
        )
        guard let port = server.port else { throw HarnessError.notBound }
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

    func stop() async throws {
        try await server.shutdown()
    }

    enum HarnessError: Error {
        case notBound
    }
}

/// A port with nothing listening on it: bound, read, and released.
func closedPort() throws -> Int {
    try freeTCPPort()
}
