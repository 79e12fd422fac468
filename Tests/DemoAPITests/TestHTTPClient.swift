// A minimal keep-alive HTTP/1.1 client over NIO, private to these tests.
import NIOCore
import NIOHTTP1
import NIOPosix

final class TestHTTPClient: Sendable {
    let channel: any Channel
    private let collector: ResponseCollector

    private init(channel: any Channel, collector: ResponseCollector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> TestHTTPClient {
        let collector = ResponseCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return TestHTTPClient(channel: channel, collector: collector)
    }

    /// Sends one request and waits for its whole response. A body is sent with a Content-Length,
    /// or chunked when `chunked` is set, in 64 KiB parts.
    func send(
        _ method: HTTPMethod,
        _ uri: String,
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil,
        chunked: Bool = false,
        version: HTTPVersion = .http1_1
    ) async throws -> TestResponse {
        var head = HTTPRequestHead(version: version, method: method, uri: uri)
        head.headers.add(name: "Host", value: "127.0.0.1")
        for (name, value) in headers {
            head.headers.add(name: name, value: value)
        }
        if chunked {
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
        } else if let body {
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        let promise = self.channel.eventLoop.makePromise(of: TestResponse.self)
        let channel = self.channel
        let collector = self.collector
        let request = head
        self.channel.eventLoop.execute {
            collector.expect(promise)
            channel.write(HTTPClientRequestPart.head(request), promise: nil)
            if var remaining = body {
                while let part = remaining.readSlice(length: min(remaining.readableBytes, 64 * 1024)), part.readableBytes > 0 {
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(part)), promise: nil)
                }
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return try await promise.futureResult.get()
    }

    func get(_ uri: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await self.send(.GET, uri, headers: headers)
    }

    /// Sends `json` as an `application/json` body.
    func send(_ method: HTTPMethod, _ uri: String, json: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await self.send(method, uri, headers: [("Content-Type", "application/json")] + headers, body: ByteBuffer(string: json))
    }

    func close() async {
        try? await self.channel.close()
    }
}
