// ProxyPipelineHarness: a client connection's pipeline as ProxyListener builds it, on an EmbeddedChannel.
import FuzzSupport
import GatehouseCore
@testable import GatehouseServer
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Runs client bytes through ProxyHandler (with its ConnectionGuard; it parses the requests
/// itself), as the listener builds them, with a runtime built from a real config.
///
/// There is no upstream: an EmbeddedEventLoop cannot open sockets (NIO's ClientBootstrap
/// traps on it). Instead one rate-limit policy (`limit: 1` per day for the one client address)
/// has its quota spent before every input, so every request that passes validation and
/// identity is answered 429 by the rate-limit stage and the connection goes on to the next
/// pipelined request. A request that got past that stage would reach the upstream pool and
/// trap — the harness reports a request that slipped past a refusal as a crash.
/// What the client receives must start as an HTTP/1.x response, and every response in it must
/// be a refusal (4xx or 5xx).
final class ProxyPipelineHarness {
    /// The first use is on libFuzzer's thread, which the EmbeddedEventLoop then belongs to.
    nonisolated(unsafe) static let shared = ProxyPipelineHarness()

    static let jwtSecretVariable = "GATEHOUSE_FUZZ_JWT_SECRET"
    static let configText = """
        server:
          trusted_proxies: ["127.0.0.1/32"]
          access_log: off
          max_header_bytes: 8KiB
          max_body_bytes: 64KiB
          read_header_timeout: 10s
          idle_timeout: 60s
        upstream:
          servers: ["http://127.0.0.1:9"]
        identity:
          api_key_header: X-API-Key
          user_header: X-User-Id
          jwt: {secret_env: \(jwtSecretVariable), claim: sub}
        rate_limits:
          policies:
            - {name: everyone, key: ip, limit: 1, window: 24h}
        cache:
          store: off
        """

    let loop = EmbeddedEventLoop()
    let state: ServerState
    let peer: SocketAddress
    let peerIP: IPAddress

    private init() {
        let config: GatehouseConfig
        do {
            config = try ConfigLoader.parse(yaml: Self.configText, file: "fuzz.conf")
            peer = try SocketAddress(ipAddress: "203.0.113.9", port: 40_000)
        } catch {
            fatalError("harness setup: \(error)")
        }
        guard let peerIP = IPAddress(parsing: "203.0.113.9") else { fatalError("harness setup: peer address") }
        self.peerIP = peerIP
        let secret = String(repeating: "pipeline-fuzz-secret-", count: 4)
        guard let identity = BlockingTask.run({
            try await UserIdentityResolver.make(config: config.identity) { name in
                name == ProxyPipelineHarness.jwtSecretVariable ? secret : nil
            }
        }) else {
            fatalError("harness setup: identity resolver")
        }
        var logger = Logger(label: "gatehouse-fuzz")
        logger.logLevel = .critical
        let metrics = GatehouseMetrics()
        do {
            let servers = try UpstreamServerSet(servers: config.upstream.servers)
            let runtime = ProxyRuntime(
                config: config,
                pools: UpstreamPools(group: loop, servers: servers, config: config.upstream, metrics: metrics),
                accessLog: try AccessLogWriter(destination: .off),
                identity: identity,
                rateLimiter: RateLimiter(config: config, previous: nil, redis: nil),
                cache: nil, redis: nil, logger: logger
            )
            state = ServerState(
                group: loop, metrics: metrics, runtime: runtime, logger: logger, resolver: SystemAddressResolver()
            )
        } catch {
            fatalError("harness setup: runtime: \(error)")
        }
    }

    func run(_ input: [UInt8]) {
        spendQuota()
        let channel = EmbeddedChannel(loop: loop)
        channel.remoteAddress = peer
        do {
            try configure(channel)
            try channel.connect(to: peer).wait()
        } catch {
            fatalError("harness setup: pipeline: \(error)")
        }
        // Reads cut where the input says, as TCP may cut them.
        let readSize = 1 + (input.first.map { Int($0) } ?? 0) % 64
        var offset = 0
        var output: [UInt8] = []
        while offset < input.count, channel.isActive {
            let end = min(offset + readSize, input.count)
            do {
                try channel.writeInbound(ByteBuffer(bytes: input[offset..<end]))
            } catch {
                break  // closed by a refusal
            }
            offset = end
            loop.run()
            drain(channel, into: &output)
        }
        // The client half-closes (the listener allows it) and stops sending: what is left is
        // answered. Time is not advanced: ConnectionGuard sets its deadlines by the wall clock
        // (`NIODeadline.now()`), not the event loop's, so on an EmbeddedEventLoop a timer re-arms
        // itself for real seconds; the 408 and idle paths are left to the end-to-end tests.
        if channel.isActive {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            loop.run()
            drain(channel, into: &output)
        }
        _ = try? channel.finish(acceptAlreadyClosed: true)
        loop.run()
        drain(channel, into: &output)
        if !output.isEmpty {
            require(output.starts(with: Array("HTTP/1.".utf8)), "the client was sent \(String(decoding: output.prefix(64), as: UTF8.self).debugDescription)")
            for code in Self.statusCodes(in: output) {
                require(code >= 400, "answered \(code) with no upstream behind it")
            }
        }
    }

    /// What the channel has written to the client so far.
    private func drain(_ channel: EmbeddedChannel, into output: inout [UInt8]) {
        while let part = try? channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = part {
                output += buffer.readableBytesView
            }
        }
    }

    /// Spends this client's one request a day, should the window have moved on (a refusal
    /// consumes nothing, so asking when already spent changes nothing).
    private func spendQuota() {
        let request = RateLimitRequest(method: "GET", path: NormalizedPath("/"), clientIP: peerIP, user: nil, headers: HTTPHeaders())
        guard let deadlines = state.loops.value(for: loop)?.storeDeadlines else { fatalError("no store deadlines for the loop") }
        var workspace = RateLimitWorkspace()
        _ = state.runtime.rateLimiter.evaluate(request, on: loop, deadlines: deadlines, workspace: &workspace)
        loop.run()
    }

    /// The pipeline ProxyListener.configure builds for an accepted connection under the limit
    /// (kept in step with it by hand: that function is private to the listener).
    private func configure(_ channel: EmbeddedChannel) throws {
        guard let loopState = state.loops.value(for: loop) else { fatalError("no per-loop state for the loop") }
        let handler = ProxyHandler(serverState: state, loop: loopState, peer: channel.remoteAddress)
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// The status code of every status line in what the client received. Refusal bodies are
    /// JSON, which escapes control characters, so a status line cannot hide in one.
    static func statusCodes(in output: [UInt8]) -> [Int] {
        let marker = Array("HTTP/1.".utf8)
        var codes: [Int] = []
        var index = 0
        while index + marker.count + 5 <= output.count {
            if output[index..<(index + marker.count)].elementsEqual(marker) {
                let digits = output[(index + marker.count + 2)..<(index + marker.count + 5)]
                if output[index + marker.count + 1] == UInt8(ascii: " "),
                   digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                    codes.append(digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
                }
                index += marker.count
            } else {
                index += 1
            }
        }
        return codes
    }
}
