// The per-connection HTTP handler: reads each request, routes it, and writes (or streams) its answer.
import NIOCore
import NIOHTTP1

/// One per connection, behind NIO's HTTP server pipeline (which serialises pipelined requests, so
/// there is at most one request in flight here). Everything runs on the connection's event loop.
final class DemoAPIHandler {
    /// JSON write bodies larger than this are refused with 413 (`/echo` streams and has no limit).
    static let maxJSONBodyBytes = 1024 * 1024

    enum Body {
        /// A JSON write: collected until `.end`; `tooLarge` once past ``maxJSONBodyBytes``.
        case collect(ByteBuffer, tooLarge: Bool)
        /// `/echo`: each part is written back as it arrives.
        case echo
        /// Any other request: a body is read and dropped.
        case discard
    }

    enum State {
        case idle
        /// The head has arrived; the body is handled as `Body` says until `.end`.
        case receiving(IncomingRequest, Body)
        /// `/delay`: the answer is scheduled.
        case delaying(IncomingRequest, Scheduled<Void>)
        /// `/bytes`: the body is being written as the peer reads it.
        case streaming(IncomingRequest, ByteStreamWriter)
        case closed
    }

    // Internal rather than private: the request and response halves live in extension files.
    let application: DemoAPIApplication
    var state: State = .idle
    /// A read held back because echoed output is piling up; issued when the channel drains.
    var readPending = false
    /// Set while ``ByteStreamWriter`` runs, so a writability change it causes does not re-enter it.
    var isStreaming = false

    init(application: DemoAPIApplication) {
        self.application = application
    }
}

extension DemoAPIHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.receiveHead(head, context: context)
        case .body(let part):
            self.receiveBody(part, context: context)
        case .end:
            self.receiveEnd(context: context)
        }
    }

    /// Holds reads back while an echo cannot be written out, so a fast sender meets TCP
    /// backpressure instead of filling our memory.
    func read(context: ChannelHandlerContext) {
        if case .receiving(_, .echo) = self.state, !context.channel.isWritable {
            self.readPending = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if self.readPending {
                self.readPending = false
                context.read()
            }
            if case .streaming = self.state {
                self.continueStreaming(context: context)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .delaying(_, let task) = self.state {
            task.cancel()
        }
        self.state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Protocol errors were answered by NIO's error handler already; anything else ends the
        // connection, as there is no telling where in a message we are.
        context.close(promise: nil)
    }
}
