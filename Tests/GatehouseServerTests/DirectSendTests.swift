// DirectSendTests: responses sent straight to the client's socket, past NIO, stay whole and in order when that socket fills.
import Foundation
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
        let expected = Array((nioHoldsBytes ? "first, second" : "second").utf8)
        let received = try await Self.received(count: expected.count, nioHoldsBytes: nioHoldsBytes) { context in
            var direct = DirectSend()
            let rest = direct.send(ByteBuffer(string: "second"), moreFollows: false, context: context)
            sentPastNIO.withLockedValue { $0 = rest == nil }
            if let rest {
                context.write(NIOAny(rest), promise: nil)
            }
        }
        #expect(received == expected)
        #expect(sentPastNIO.withLockedValue { $0 } == !nioHoldsBytes)
    }

    /// A file body goes past NIO (a `sendfile` of ours) only behind a head that went whole: after
    /// bytes NIO holds, the head is handed to NIO and the whole range comes back for NIO to write
    /// next as a `FileRegion`. Either way the client reads the bytes in order, the body from the
    /// range's offset.
    @Test(arguments: [false, true]) func aFileBodyGoesPastNIOOnlyBehindAHeadThatDid(nioHoldsBytes: Bool) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-directsend-\(UUID()).txt").path
        try Data("0123456789".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = open(path, O_RDONLY)
        try #require(file >= 0)
        defer { close(file) }
        let left = NIOLockedValueBox<Range<Int>?>(nil)
        let expected = Array(((nioHoldsBytes ? "first, " : "") + "head;234567").utf8)
        let received = try await Self.received(count: expected.count, nioHoldsBytes: nioHoldsBytes) { context in
            var direct = DirectSend()
            let rest = direct.writeBeforeFile(ByteBuffer(string: "head;"), file: file, range: 2..<8, bodyPastNIO: true, context: context)
            left.withLockedValue { $0 = rest }
            guard !rest.isEmpty else { return }
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: dup(file))
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in try? handle.close() }
            let region = FileRegion(fileHandle: handle, readerIndex: rest.lowerBound, endIndex: rest.upperBound)
            context.write(NIOAny(IOData.fileRegion(region)), promise: written)
        }
        #expect(received == expected)
        #expect(left.withLockedValue { $0 } == (nioHoldsBytes ? 2..<8 : 8..<8))
    }

    /// A head and a body too large to copy into it go past NIO in one gathered send only when NIO
    /// holds nothing; what the socket does not take (an 8 MiB body is more than loopback buffers
    /// hold), split anywhere in head or body, follows through NIO, and the client reads it all in order.
    @Test(arguments: [(false, 6), (true, 6), (false, 8 << 20)])
    func aHeadAndItsBodyGoPastNIOTogetherOnlyWhenItHoldsNone(nioHoldsBytes: Bool, bodySize: Int) async throws {
        let body = patternedBytes(bodySize)
        let expected = Array((nioHoldsBytes ? "first, " : "").utf8) + Array("head;".utf8) + body
        let received = try await Self.received(count: expected.count, nioHoldsBytes: nioHoldsBytes) { context in
            var direct = DirectSend()
            direct.writeAndFlush(ByteBuffer(string: "head;"), ByteBuffer(bytes: body), context: context)
        }
        #expect(received.count == expected.count)
        #expect(received == expected)
    }

    /// The first `count` bytes a client reads from a server that, as the connection opens, writes
    /// "first, " through NIO without a flush (when `nioHoldsBytes`), then calls `send` and flushes.
    private static func received(
        count: Int, nioHoldsBytes: Bool, send: @escaping @Sendable (ChannelHandlerContext) -> Void
    ) async throws -> [UInt8] {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Sender(nioHoldsBytes: nioHoldsBytes, send: send))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let client = try await RawHTTPConnection.connect(port: try #require(server.localAddress?.port))
        #expect(try await Polling.until { client.receivedBytes.count >= count })
        let received = client.receivedBytes
        try await client.close()
        try await server.close()
        return received
    }

    private final class Sender: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let nioHoldsBytes: Bool
        let send: @Sendable (ChannelHandlerContext) -> Void

        init(nioHoldsBytes: Bool, send: @escaping @Sendable (ChannelHandlerContext) -> Void) {
            self.nioHoldsBytes = nioHoldsBytes
            self.send = send
        }

        func channelActive(context: ChannelHandlerContext) {
            if nioHoldsBytes {
                context.write(NIOAny(ByteBuffer(string: "first, ")), promise: nil)
            }
            send(context)
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
