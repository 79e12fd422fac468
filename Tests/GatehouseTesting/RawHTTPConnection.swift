// A TCP connection that sends bytes exactly as given and parses responses itself, for framing tests.
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Raw bytes out, independently parsed HTTP/1.1 responses in: for request smuggling, pipelining
/// and framing tests where a well-behaved client would get in the way.
public final class RawHTTPConnection: Sendable {
    private enum ReadStep {
        case done(TestHTTPResponse?)
        case wait(EventLoopPromise<Void>)
    }

    private let channel: any Channel
    private let inbox: NIOLockedValueBox<RawHTTPInbox>

    private init(channel: any Channel, inbox: NIOLockedValueBox<RawHTTPInbox>) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Opens a connection to `host:port`. With `keepsWritingAfterFIN` the peer's FIN ends only
    /// what is read (a response then ends there too): writes go on, as a client still sending a
    /// body to a server that half-closed after its answer. With `holdsReads` nothing is read
    /// off the socket until ``startReading()``: a client whose receive buffer fills.
    public static func connect(
        host: String = "127.0.0.1", port: Int, keepsWritingAfterFIN: Bool = false, holdsReads: Bool = false
    ) async throws -> RawHTTPConnection {
        let inbox = NIOLockedValueBox(RawHTTPInbox())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: keepsWritingAfterFIN)
            .channelOption(.autoRead, value: !holdsReads)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawHTTPConnectionHandler(inbox: inbox))
                }
            }
            .connect(host: host, port: port)
            .get()
        return RawHTTPConnection(channel: channel, inbox: inbox)
    }

    /// Sends `text` as UTF-8, exactly as given (write `"\r\n"` line endings yourself).
    public func write(_ text: String) async throws {
        try await self.write(bytes: Array(text.utf8))
    }

    /// Sends `bytes` exactly as given.
    public func write(bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Parses exactly one HTTP/1.1 response from the bytes received so far or next
    /// (Content-Length, chunked, or read-until-close framing; no body when `forHEAD`, or for
    /// 1xx/204/304). Leftover bytes stay buffered for the next call (pipelining).
    ///
    /// Returns nil if the connection closed before any byte of a response arrived; throws
    /// ``TestHTTPClientError/connectionClosed`` if it closed mid-response,
    /// ``TestHTTPClientError/invalidResponse(_:)`` for bytes that are not a response, and
    /// ``TestHTTPClientError/timeout`` after `timeout` (the connection stays open).
    public func readResponse(forHEAD: Bool = false, timeout: TimeAmount = .seconds(10)) async throws -> TestHTTPResponse? {
        let deadline = NIODeadline.now() + timeout
        while true {
            switch try self.nextReadStep(forHEAD: forHEAD) {
            case .done(let response):
                return response
            case .wait(let waiter):
                guard await EventWait.completes(waiter.futureResult, before: deadline) else {
                    // NIO traps on a promise dropped unfulfilled (debug builds), so complete it.
                    let abandoned = self.inbox.withLockedValue { inbox in
                        inbox.waiter == waiter ? inbox.takeWaiter() : nil
                    }
                    abandoned?.succeed(())
                    throw TestHTTPClientError.timeout
                }
            }
        }
    }

    /// Waits until the peer closes; returns true if it closed within `timeout`.
    public func waitForClose(timeout: TimeAmount = .seconds(10)) async throws -> Bool {
        await EventWait.completes(self.channel.closeFuture, within: timeout)
    }

    /// Everything received so far, as raw bytes (including bytes already returned in responses).
    public var receivedBytes: [UInt8] {
        self.inbox.withLockedValue { $0.allBytes }
    }

    /// Received bytes not yet returned by ``readResponse(forHEAD:timeout:)``.
    public var unparsedBytes: [UInt8] {
        self.inbox.withLockedValue { Array($0.unparsed.readableBytesView) }
    }

    /// False once the connection is closed.
    public var isOpen: Bool {
        self.channel.isActive
    }

    /// Starts reading a connection opened with `holdsReads`.
    public func startReading() async throws {
        try await self.channel.setOption(.autoRead, value: true).get()
    }

    /// Shuts down the sending side only (a TCP half-close), keeping the connection readable.
    public func closeOutput() async throws {
        try await self.channel.close(mode: .output)
    }

    /// Closes the connection; closing an already closed connection is not an error.
    public func close() async throws {
        try await EventWait.close(self.channel)
    }
}

extension RawHTTPConnection {
    private func nextReadStep(forHEAD: Bool) throws -> ReadStep {
        try self.inbox.withLockedValue { inbox in
            let outcome = try inbox.unparsed.withUnsafeReadableBytes { bytes in
                try RawHTTPResponseParser.parse(bytes, forHEAD: forHEAD, atEOF: inbox.closed)
            }
            switch outcome {
            case .response(let response, let consumed):
                inbox.unparsed.moveReaderIndex(forwardBy: consumed)
                inbox.unparsed.discardReadBytes()
                return .done(response)
            case .needMoreBytes where inbox.closed:
                guard inbox.unparsed.readableBytes == 0 else { throw TestHTTPClientError.connectionClosed }
                return .done(nil)
            case .needMoreBytes:
                guard inbox.waiter == nil else { throw TestHTTPClientError.requestInFlight }
                let waiter = self.channel.eventLoop.makePromise(of: Void.self)
                inbox.waiter = waiter
                return .wait(waiter)
            }
        }
    }
}
