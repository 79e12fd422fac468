// HeadFirstOrigin: an origin that answers from the request head and then skips the declared body, as nginx serving a file or Node do.
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An in-test origin on 127.0.0.1 for request-smuggling tests. Unlike `TestUpstreamServer`
/// (NIO's decoder, which answers once the whole request is read) it answers each request as soon
/// as its head is read, then reads and drops the body the head declared: a head that promises
/// a body nobody sends makes it take the next request's bytes as that body, and then parse
/// whatever follows as a request — exactly what a real origin like that does.
final class HeadFirstOrigin: Sendable {
    /// One answer: a `Content-Length` framed response.
    struct Answer: Sendable {
        var status = 200
        var fields: [(String, String)] = []
        var body = ""

        var bytes: ByteBuffer {
            var text = "HTTP/1.1 \(status) Answer\r\nContent-Length: \(body.utf8.count)\r\n"
            for (name, value) in fields {
                text += "\(name): \(value)\r\n"
            }
            return ByteBuffer(string: text + "\r\n" + body)
        }
    }

    let port: Int
    private let channel: any Channel
    private let log: NIOLockedValueBox<[HeadFirstRequest]>
    private let children: NIOLockedValueBox<[any Channel]>

    private init(port: Int, channel: any Channel, log: NIOLockedValueBox<[HeadFirstRequest]>, children: NIOLockedValueBox<[any Channel]>) {
        self.port = port
        self.channel = channel
        self.log = log
        self.children = children
    }

    static func start(answer: @escaping @Sendable (HeadFirstRequest) -> Answer) async throws -> HeadFirstOrigin {
        let log = NIOLockedValueBox<[HeadFirstRequest]>([])
        let children = NIOLockedValueBox<[any Channel]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                let number = children.withLockedValue { $0.append(child); return $0.count }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(HeadFirstOriginHandler(connection: number, answer: answer, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else { throw HeadFirstOriginError.notBound }
        return HeadFirstOrigin(port: port, channel: channel, log: log, children: children)
    }

    /// Every head read so far, in order (across connections).
    var requests: [HeadFirstRequest] { log.withLockedValue { $0 } }

    /// Waits, polling briefly, until `count` heads have been read; false after 10 s.
    func waitForRequests(_ count: Int) async throws -> Bool {
        for _ in 0..<500 {
            if requests.count >= count { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func shutdown() async throws {
        try? await channel.close()
        for child in children.withLockedValue({ $0 }) {
            try? await child.close()
        }
    }

    enum HeadFirstOriginError: Error {
        case notBound
    }
}
