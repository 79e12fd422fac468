// DirectSendTests: responses sent straight to the client's socket, past NIO, stay whole and in order when that socket fills.
@testable import GatehouseServer
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@Suite struct DirectSendTests {
    /// Bytes go past NIO only when NIO holds none for the channel: after a write not yet
    /// flushed (a relayed body part waits for the end of the read so), they are handed back to
    /// go through NIO behind it. Sent past it, they would overtake it, though the socket has
    /// room for both.
    @Test(arguments: [false, true]) func bytesGoPastNIOOnlyWhenItHoldsNone(nioHoldsBytes: Bool) async throws {
        let sentPastNIO = NIOLockedValueBox<Bool?>(nil)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Sender(nioHoldsBytes: nioHoldsBytes, sentPastNIO: sentPastNIO))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let client = try await RawHTTPConnection.connect(port: try #require(server.localAddress?.port))
        let expected = Array((nioHoldsBytes ? "first, second" : "second").utf8)
        #expect(try await Polling.until { client.receivedBytes.count >= expected.count })
        #expect(client.receivedBytes == expected)
        #expect(sentPastNIO.withLockedValue { $0 } == !nioHoldsBytes)
        try await client.close()
        try await server.close()
    }

    /// Writes "first, " through NIO without a flush (when told to), then "second" through `DirectSend`.
    private final class Sender: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let nioHoldsBytes: Bool
        let sentPastNIO: NIOLockedValueBox<Bool?>

        init(nioHoldsBytes: Bool, sentPastNIO: NIOLockedValueBox<Bool?>) {
            self.nioHoldsBytes = nioHoldsBytes
            self.sentPastNIO = sentPastNIO
        }

        func channelActive(context: ChannelHandlerContext) {
            if nioHoldsBytes {
                context.write(NIOAny(ByteBuffer(string: "first, ")), promise: nil)
            }
            var direct = DirectSend()
            let rest = direct.send(ByteBuffer(string: "second"), moreFollows: false, context: context)
            sentPastNIO.withLockedValue { $0 = rest == nil }
            if let rest {
                context.write(NIOAny(rest), promise: nil)
            }
            context.flush()
            context.fireChannelActive()
        }
    }

    /// 2,000 relayed responses of 12,000 bytes, each body its URI repeated (so a part out of
    /// place shows), pipelined to a client that reads nothing until the proxy has had to queue
    /// bytes in NIO: a send the socket took only part of, its rest handed to NIO. A response
    /// sent past NIO while NIO still held bytes would overtake them. All must arrive whole and
    /// in order once the client reads.
    @Test func responsesStayInOrderWhenTheClientsSocketFills() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            .respond(body: Self.body(for: request.uri))
        })
        let listener = try await PipelinedBacklogTests.InspectedListener(upstreamPort: upstream.port)
        let client = try await RawHTTPConnection.connect(port: listener.port, holdsReads: true)
        let count = 2000
        try await client.write((0..<count).map { "GET /\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
        // NIO holding bytes for the client: the socket refused part of a response.
        #expect(try await Polling.until(every: .milliseconds(20), within: .seconds(30)) {
            try await listener.inspect { handler in
                (try? handler.context?.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
            } > 0
        })
        try await client.startReading()
        for index in 0..<count {
            let response = try #require(try await client.readResponse(timeout: .seconds(30)))
            guard response.status == 200, response.body == Self.body(for: "/\(index)") else {
                Issue.record("response \(index) is not /\(index)'s: status \(response.status), \(response.body.count) bytes")
                break
            }
        }
        try await client.close()
        try await listener.close()
        try await upstream.shutdown()
    }

    private static func body(for uri: String) -> [UInt8] {
        Array(String(repeating: uri + ";", count: 12_000 / (uri.utf8.count + 1) + 1).utf8.prefix(12_000))
    }
}
