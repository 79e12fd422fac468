// PipelinedBacklogTests: what a connection holds of the requests pipelined behind one in progress is bounded, and they are all still answered in order.
@testable import GatehouseCore
@testable import GatehouseServer
import GatehouseTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// A request the origin is slow to answer, with many small requests pipelined behind it: the
/// whole read used to be parsed at once, every head queued with its fields (about eleven times
/// the bytes it came in: 40 such connections took 46 MB). Now a few parts are queued and the
/// rest of the read waits as bytes, parsed as the queue empties.
@Suite struct PipelinedBacklogTests {
    /// A proxy listener whose connection handlers the test can look at, in front of `upstreamPort`.
    final class InspectedListener: Sendable {
        let port: Int
        private let channel: any Channel
        /// The first connection's handler, once the connection is set up: a client's connect
        /// completes when the kernel accepts it, which can be before its handler is added.
        private let firstHandler: EventLoopPromise<NIOLoopBound<ProxyHandler>>

        init(upstreamPort: Int) async throws {
            var config = GatehouseConfig(upstream: UpstreamConfig(servers: [UpstreamServerAddress(host: "127.0.0.1", port: upstreamPort)]))
            config.server.accessLog = .off
            var logger = Logger(label: "gatehouse-test")
            logger.logLevel = .critical
            let group = MultiThreadedEventLoopGroup.singleton
            let metrics = GatehouseMetrics()
            let runtime = try await ProxyRuntime.build(
                config: config, group: group, metrics: metrics, logger: logger, resolver: SystemAddressResolver()
            )
            let state = ServerState(
                group: group, metrics: metrics, runtime: runtime, logger: logger, resolver: SystemAddressResolver()
            )
            let first = group.next().makePromise(of: NIOLoopBound<ProxyHandler>.self)
            let accepted = NIOLockedValueBox(0)
            channel = try await ServerBootstrap(group: group)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelOption(.maxMessagesPerRead, value: 4)  // as ProxyListener
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        let loop = child.eventLoop
                        guard let loopState = state.loops.value(for: loop) else { throw ChannelError.ioOnClosedChannel }
                        let handler = ProxyHandler(serverState: state, loop: loopState, peer: child.remoteAddress)
                        try child.pipeline.syncOperations.addHandler(handler)
                        if accepted.withLockedValue({ count in
                            count += 1
                            return count == 1
                        }) {
                            first.succeed(NIOLoopBound(handler, eventLoop: loop))
                        }
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            port = channel.localAddress?.port ?? 0
            self.firstHandler = first
        }

        /// Reads `look` off the first connection's handler, on its event loop.
        func inspect<T: Sendable>(_ look: @escaping @Sendable (ProxyHandler) -> T) async throws -> T {
            let bound = try await firstHandler.futureResult.get()
            return try await bound.eventLoop.submit { look(bound.value) }.get()
        }

        func close() async throws {
            try await channel.close()
        }

        deinit {
            // A promise must be completed (a leaked one stops the test process): with no
            // connection made, it ends failed.
            firstHandler.fail(ChannelError.ioOnClosedChannel)
        }
    }

    @Test func requestsPipelinedBehindASlowOneAreHeldAsBytes() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            request.uri == "/hang" ? .hang : .respond()
        })
        let listener = try await InspectedListener(upstreamPort: upstream.port)
        let connection = try await RawHTTPConnection.connect(port: listener.port)
        let pipelined = String(repeating: "GET / HTTP/1.0\r\n\r\n", count: 11_000)  // about 200 KB
        try await connection.write("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n" + pipelined)
        #expect(await upstream.waitForRequests(1))
        // The read that brought them has been handled: the upstream request went out after it.
        let (queued, held, readsPaused) = try await listener.inspect { handler in
            (handler.pipelined.count, handler.unparsed?.readableBytes ?? 0, handler.readPending)
        }
        #expect(queued <= ProxyHandler.maxQueuedParts, "parts queued: \(queued)")
        #expect(held > 0, "the rest of the read waits unparsed")
        #expect(readsPaused, "nothing more is read meanwhile")
        try await connection.close()
        try await listener.close()
        try await upstream.shutdown()
    }

    /// Many pipelined requests, some with bodies, behind a slow one, then half a head and FIN:
    /// each answered in order as the held bytes are parsed, then the cut request refused (400).
    /// The slow one is answered once all of it has been sent.
    @Test func heldRequestsAreAllAnsweredInOrder() async throws {
        let gate = TestGate()
        let (proxy, upstream) = try await ProxyHarness.start(behaviour: { request in
            if request.uri == "/slow" {
                return .gated(gate, then: .respond(body: Array("slow".utf8)))
            }
            return request.method == "POST" ? .drainRequestThenRespond() : .respond(body: Array(request.uri.utf8))
        })
        let connection = try await RawHTTPConnection.connect(port: proxy.port)
        var bytes = "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
        for index in 0..<300 {
            bytes += index % 3 == 0
                ? "POST /\(index) HTTP/1.1\r\nHost: t\r\nContent-Length: \(index)\r\n\r\n" + String(repeating: "b", count: index)
                : "GET /\(index) HTTP/1.1\r\nHost: t\r\n\r\n"
        }
        try await connection.write(bytes + "GET /cut HTTP/1.1\r\nHo")
        try await connection.closeOutput()
        gate.open()
        #expect(try await connection.readResponse()?.bodyString == "slow")
        for index in 0..<300 {
            let response = try #require(try await connection.readResponse())
            #expect(response.bodyString == (index % 3 == 0 ? #"{"received": \#(index)}"# : "/\(index)"))
        }
        #expect(try await connection.readResponse()?.status == 400)
        #expect(try await connection.waitForClose())
        try await proxy.stop()
        try await upstream.shutdown()
    }
}
