// An in-test origin server on 127.0.0.1 whose answer to each request the test chooses.
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// An HTTP/1.1 origin for tests: keep-alive, real sockets, behaviour chosen per request.
public final class TestUpstreamServer: Sendable {
    private let listener: TestListener
    private let state: NIOLockedValueBox<TestUpstreamServerState>

    private init(listener: TestListener, state: NIOLockedValueBox<TestUpstreamServerState>) {
        self.listener = listener
        self.state = state
    }

    /// The port it listens on (chosen by the system).
    public var port: Int {
        self.listener.port
    }

    /// Starts on 127.0.0.1, port 0. `behaviour` is called (on an event loop; it must not block)
    /// for each request head.
    public static func start(
        behaviour: @escaping @Sendable (TestUpstreamRequest) -> TestUpstreamBehaviour
    ) async throws -> TestUpstreamServer {
        let state = NIOLockedValueBox(TestUpstreamServerState())
        let listener = try await TestListener.start { child, connectionNumber in
            try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try child.pipeline.syncOperations.addHandler(
                TestUpstreamHandler(connectionNumber: connectionNumber, behaviour: behaviour, serverState: state)
            )
        }
        return TestUpstreamServer(listener: listener, state: state)
    }

    /// Starts a server that answers every request the same way.
    public static func start(always behaviour: TestUpstreamBehaviour) async throws -> TestUpstreamServer {
        try await Self.start { _ in behaviour }
    }

    /// Completed requests in completion order (`bodyByteCount` final).
    public var receivedRequests: [TestUpstreamRequest] {
        self.state.withLockedValue { $0.receivedRequests }
    }

    /// Request heads received so far.
    public var requestCount: Int {
        self.state.withLockedValue { $0.requestCount }
    }

    /// TCP connections accepted so far (tests check keep-alive reuse with it).
    public var acceptedConnections: Int {
        self.listener.acceptedConnections
    }

    /// Waits, without polling, until at least `n` request heads have arrived or `timeout` passed;
    /// returns whether `n` was reached.
    public func waitForRequests(_ n: Int, timeout: TimeAmount = .seconds(10)) async -> Bool {
        let loop = self.listener.eventLoop
        let promise = loop.makePromise(of: Bool.self)
        guard let waiterID = self.state.withLockedValue({ $0.addWaiter(count: n, promise: promise) }) else {
            promise.succeed(true)
            return true
        }
        let timer = loop.scheduleTask(in: timeout) { [state] in
            state.withLockedValue { $0.removeWaiter(waiterID) }?.succeed(false)
        }
        let reached = (try? await promise.futureResult.get()) ?? false
        timer.cancel()
        return reached
    }

    /// Waits until every connection open now has closed, or `timeout` passed; returns whether
    /// they all closed. Call it once the connections of interest exist (after
    /// ``waitForRequests(_:timeout:)``): later connections are not waited for.
    public func waitForOpenConnectionsToClose(timeout: TimeAmount = .seconds(10)) async -> Bool {
        let closes = self.listener.openConnections.map(\.closeFuture)
        return await EventWait.completes(EventLoopFuture.andAllComplete(closes, on: self.listener.eventLoop), within: timeout)
    }

    /// Stops listening and closes every open connection (including hanging ones).
    public func shutdown() async throws {
        try await self.listener.shutdown()
    }
}
