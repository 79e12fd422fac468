// An in-test origin on 127.0.0.1 that answers with bytes exactly as the test writes them, waits for the test included.
import NIOConcurrencyHelpers
import NIOCore

/// For framing tests where the origin misbehaves in ways an HTTP encoder will not produce, and
/// across reads: a head declaring a body that comes only later, a transfer coding a proxy cannot
/// take off. Keeps its connections open unless a step closes them (unlike
/// ``TestUpstreamBehaviour/rawResponse(_:)``, which closes after its bytes).
public final class RawTestOrigin: Sendable {
    private let listener: TestListener
    private let received: NIOLockedValueBox<[(connection: Int, line: String, head: [UInt8])]>

    private init(listener: TestListener, received: NIOLockedValueBox<[(connection: Int, line: String, head: [UInt8])]>) {
        self.listener = listener
        self.received = received
    }

    /// The port it listens on (chosen by the system).
    public var port: Int {
        self.listener.port
    }

    /// Starts on 127.0.0.1, port 0. `answer` is called (on an event loop; it must not block) with
    /// each request line and the number of its connection (1 for the first), and gives the steps
    /// that answer it.
    public static func start(
        answer: @escaping @Sendable (_ requestLine: String, _ connection: Int) -> [RawTestOriginStep]
    ) async throws -> RawTestOrigin {
        let received = NIOLockedValueBox<[(connection: Int, line: String, head: [UInt8])]>([])
        let listener = try await TestListener.start { child, connectionNumber in
            let handler = RawTestOriginHandler(connectionNumber: connectionNumber, answer: answer) { line, head in
                received.withLockedValue { $0.append((connectionNumber, line, head)) }
            }
            try child.pipeline.syncOperations.addHandler(handler)
        }
        return RawTestOrigin(listener: listener, received: received)
    }

    /// Request lines received so far, in arrival order, each with its connection's number.
    public var requests: [(connection: Int, line: String)] {
        self.received.withLockedValue { $0.map { ($0.connection, $0.line) } }
    }

    /// The bytes of each request head received so far (request line to blank line), in arrival order.
    public var heads: [[UInt8]] {
        self.received.withLockedValue { $0.map(\.head) }
    }

    /// TCP connections accepted so far.
    public var acceptedConnections: Int {
        self.listener.acceptedConnections
    }

    /// Stops listening and closes every open connection.
    public func shutdown() async throws {
        try await self.listener.shutdown()
    }
}
