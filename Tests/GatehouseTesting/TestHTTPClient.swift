// A small HTTP/1.1 client over one keep-alive connection, for tests that talk to a real socket.
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client holding one keep-alive connection; requests are sent one after another.
///
/// Headers and framing are sent as given: the client adds only `Host` (unless given) and
/// `Content-Length` for a body (unless `Content-Length` or `Transfer-Encoding` is given), so a test
/// can send a chunked request by passing `Transfer-Encoding: chunked` itself.
public final class TestHTTPClient: Sendable {
    /// The 64 KiB pattern ``sendStreaming(_:_:headers:bodyLength:bodyChunk:timeout:)`` repeats by
    /// default; it does not repeat within 256 bytes, so a reordered or dropped chunk changes the checksum.
    public static let defaultBodyChunk: [UInt8] = (0..<65_536).map { index in
        UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> 13)
    }

    private let channel: any Channel
    private let host: String
    private let port: Int

    private init(channel: any Channel, host: String, port: Int) {
        self.channel = channel
        self.host = host
        self.port = port
    }

    /// Opens a connection to `host:port`, from `localHost` when given (another loopback address
    /// such as `127.0.0.2` makes a second, differently trusted peer).
    public static func connect(host: String = "127.0.0.1", port: Int, localHost: String? = nil) async throws -> TestHTTPClient {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let localHost {
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: localHost, port: 0))
        }
        let channel = try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var encoderConfiguration = HTTPRequestEncoder.Configuration()
                    encoderConfiguration.automaticallySetFramingHeaders = false
                    // Tests decide the framing and header bytes; validating them would hide the
                    // very inputs a proxy has to reject.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        enableOutboundHeaderValidation: false,
                        encoderConfiguration: encoderConfiguration
                    )
                    try channel.pipeline.syncOperations.addHandler(TestHTTPClientHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        return TestHTTPClient(channel: channel, host: host, port: port)
    }

    /// Sends one request and collects the whole response.
    ///
    /// Adds `Host: host:port` unless given and `Content-Length` for a body. Throws
    /// ``TestHTTPClientError/connectionClosed`` if the server closed before a complete response,
    /// ``TestHTTPClientError/timeout`` after `timeout` (the connection is then closed).
    public func send(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> TestHTTPResponse {
        var head = self.makeHead(method, path, headers: headers)
        var requestBody = TestHTTPClientExchange.RequestBody.none
        if let body {
            Self.addContentLengthIfUnframed(body.count, to: &head.headers)
            requestBody = .bytes(ByteBuffer(bytes: body))
        }
        let result = try await self.exchange(head, body: requestBody, storesBody: true, timeout: timeout)
        return TestHTTPResponse(status: result.status, headers: result.headers, body: result.body)
    }

    /// Sends a request whose body is `bodyLength` bytes made by repeating `bodyChunk`
    /// (`Content-Length` framed; no body when nil), written only while the connection is writable,
    /// and reads the response body without storing it.
    ///
    /// A connection cut after the response head is reported as `complete == false`; one cut
    /// before it throws ``TestHTTPClientError/connectionClosed``. If the response ends before the
    /// upload does, the rest of the upload is abandoned and the connection closed.
    public func sendStreaming(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        bodyLength: Int? = nil,
        bodyChunk: [UInt8] = TestHTTPClient.defaultBodyChunk,
        timeout: TimeAmount = .seconds(120)
    ) async throws -> TestStreamedResponse {
        var head = self.makeHead(method, path, headers: headers)
        var requestBody = TestHTTPClientExchange.RequestBody.none
        if let bodyLength {
            Self.addContentLengthIfUnframed(bodyLength, to: &head.headers)
            let chunk = ByteBuffer(bytes: TestBodyChecksum.effectivePattern(bodyChunk))
            requestBody = .generated(length: bodyLength, chunk: chunk)
        }
        let result = try await self.exchange(head, body: requestBody, storesBody: false, timeout: timeout)
        return TestStreamedResponse(
            status: result.status,
            headers: result.headers,
            bodyByteCount: result.checksum.byteCount,
            bodyChecksum: result.checksum.value,
            complete: result.complete
        )
    }

    /// False once the connection is closed (by the server, a timeout or ``close()``).
    public var isOpen: Bool {
        self.channel.isActive
    }

    /// Waits until the connection is closed; returns true if it closed within `timeout`.
    public func waitForClose(timeout: TimeAmount = .seconds(10)) async -> Bool {
        await EventWait.completes(self.channel.closeFuture, within: timeout)
    }

    /// Closes the connection; closing an already closed connection is not an error.
    public func close() async throws {
        try await EventWait.close(self.channel)
    }

    /// Closes the connection with a TCP reset (SO_LINGER 0): the server sees the client vanish,
    /// as when a browser tab is killed, rather than a FIN after which it may still answer.
    public func reset() async throws {
        try await (self.channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        try await self.close()
    }

    /// One-shot: connect, send, close.
    public static func request(
        port: Int,
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> TestHTTPResponse {
        let client = try await TestHTTPClient.connect(port: port)
        let response: TestHTTPResponse
        do {
            response = try await client.send(method, path, headers: headers, body: body, timeout: timeout)
        } catch {
            try? await client.close()
            throw error
        }
        try await client.close()
        return response
    }

    /// The checksum of `length` bytes made by repeating `pattern`, as
    /// ``TestStreamedResponse/bodyChecksum`` reports it.
    public static func checksum(pattern: [UInt8], length: Int) -> UInt64 {
        TestBodyChecksum.repeating(pattern, length: length)
    }
}

extension TestHTTPClient {
    private func makeHead(_ method: String, _ path: String, headers: [(String, String)]) -> HTTPRequestHead {
        var fields = HTTPHeaders()
        if !headers.contains(where: { TestHeaderName.matches($0.0, "Host") }) {
            fields.add(name: "Host", value: "\(self.host):\(self.port)")
        }
        for (name, value) in headers {
            fields.add(name: name, value: value)
        }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: fields)
    }

    private static func addContentLengthIfUnframed(_ length: Int, to headers: inout HTTPHeaders) {
        if !headers.contains(name: "Content-Length") && !headers.contains(name: "Transfer-Encoding") {
            headers.add(name: "Content-Length", value: String(length))
        }
    }

    private func exchange(
        _ head: HTTPRequestHead,
        body: TestHTTPClientExchange.RequestBody,
        storesBody: Bool,
        timeout: TimeAmount
    ) async throws -> TestHTTPClientExchangeResult {
        let promise = self.channel.eventLoop.makePromise(of: TestHTTPClientExchangeResult.self)
        let exchange = TestHTTPClientExchange(
            head: head,
            body: body,
            storesBody: storesBody,
            timeout: timeout,
            promise: promise
        )
        // A closed channel has no handler left to fail the exchange; the write failing says so.
        self.channel.writeAndFlush(exchange).whenFailure { _ in
            promise.fail(TestHTTPClientError.connectionClosed)
        }
        return try await promise.futureResult.get()
    }
}
