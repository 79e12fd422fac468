// RequestRecorder: stands where ProxyHandler stands, records each request and answers it.
import FuzzSupport
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Receives what the decoder delivers and hands each complete request to `RequestHeadChecks`;
/// like ProxyHandler after a refused head or a parse error, it reads nothing more.
final class RequestRecorder {
    /// What arrived, in order; consecutive body reads are merged, so the cut of reads does not show.
    enum Event: Equatable, CustomStringConvertible {
        case head(HTTPRequestHead)
        case body([UInt8])
        case end
        case refused(status: Int)
        /// The decoder gave up. Which error is not recorded: where a read is cut may decide
        /// between two complaints about the same bytes, and either way the connection ends.
        case error

        var description: String {
            switch self {
            case .head(let head): "head(\(head.method) \(head.uri.debugDescription) \(head.version) \(head.headers.map { "\($0.name): \($0.value)" }))"
            case .body(let bytes): "body(\(bytes.count) bytes)"
            case .end: "end"
            case .refused(let status): "refused(\(status))"
            case .error: "error"
            }
        }
    }

    private(set) var events: [Event] = []
    /// True once a request was refused or the decoder failed: the proxy closes the connection then.
    private(set) var isClosed = false
    private let checks: RequestHeadChecks
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(checks: RequestHeadChecks) {
        self.checks = checks
    }
}

extension RequestRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosed else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            require(self.head == nil, "a head arrived before the previous request ended")
            events.append(.head(head))
            self.head = head
            body = []
        case .body(let buffer):
            require(head != nil, "body without a head")
            let bytes = Array(buffer.readableBytesView)
            if case .body(let earlier)? = events.last {
                events[events.count - 1] = .body(earlier + bytes)
            } else {
                events.append(.body(bytes))
            }
            body += bytes
        case .end:
            guard let head else { fatalError("end without a head") }
            events.append(.end)
            self.head = nil
            if let refusal = checks.check(head: head, body: body) {
                events.append(.refused(status: refusal.status))
                isClosed = true
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !isClosed else { return }
        // ProxyHandler answers a parser error with 400 or 431 and closes.
        events.append(.error)
        isClosed = true
        context.close(promise: nil)
    }
}
