// UpstreamResponseDelegate: who receives an upstream response as it streams in.
import NIOCore
import NIOHTTP1

/// The downstream side of one exchange; called on the event loop both channels share.
protocol UpstreamResponseDelegate: AnyObject {
    /// The origin answered `100 Continue`: a client waiting for it may send its body now.
    func upstreamReceivedContinue()
    func upstreamReceivedHead(_ head: HTTPResponseHead)
    func upstreamReceivedBody(_ buffer: ByteBuffer)
    func upstreamReceivedEnd()
    /// The upstream finished a read burst: time to flush what was written downstream.
    func upstreamReadComplete()
    func upstreamFailed(_ failure: UpstreamFailure)
    /// The upstream socket can take more request body (or not); downstream reads follow it.
    func upstreamWritabilityChanged(isWritable: Bool)
}
