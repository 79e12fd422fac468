// UpstreamConnection: one keep-alive connection to an origin server, owned by a pool.
import GatehouseCore
import NIOCore
import NIOHTTP1

/// A connected upstream channel, the handler that relays its responses, and the encoding of the
/// requests written to it.
///
/// Requests go out as bytes (`UpstreamRequestEncoder`: request line and fields in one buffer,
/// chunked bodies framed as they stream), not through NIO's request encoder: the head is already
/// in its final form, and every pipeline hop a request part takes costs on each exchange.
final class UpstreamConnection {
    let channel: any Channel
    let handler: UpstreamHandler
    /// Index into `UpstreamServerSet.servers`.
    let serverIndex: Int
    /// The address of its server it is connected to.
    let address: SocketAddress
    /// Its pool's count of changes to the server's addresses when this connection was known to
    /// be to one of them (see `UpstreamConnectionPool.addressesChanged`).
    var addressGeneration = 0
    /// How many exchanges this connection has carried; > 0 means it came from the idle pool.
    var exchanges = 0
    /// While it waits in the pool: when it stops being reused (`UpstreamIdleLimit`).
    var reusableUntil = NIODeadline.distantFuture
    /// The servers its first exchange's request had tried before it got this connection (its
    /// earlier attempts, and connects refused on the way here), so that a request moving on
    /// after this connection fails goes to none of them again.
    let triedBefore: Set<Int>
    private var encoder = UpstreamRequestEncoder()
    /// Request bytes written since the last flush (see `flushIfNeeded`).
    private var unflushed = false
    /// The request head, kept from NIO until a body part follows it or the flush: a request
    /// without a body (the usual GET) then goes to the socket in one `send` past NIO's write
    /// path (`DirectSend`). With the loop's `HeadBuffer` it came from, to go back to.
    private var heldHead: (bytes: ByteBuffer, from: HeadBuffer?)?

    init(channel: any Channel, handler: UpstreamHandler, serverIndex: Int, address: SocketAddress, triedBefore: Set<Int>) {
        self.channel = channel
        self.handler = handler
        self.serverIndex = serverIndex
        self.address = address
        self.triedBefore = triedBefore
    }

    var isReused: Bool { exchanges > 1 }

    /// Writes a request head (not flushed); its framing fields decide how the body is written.
    func writeHead(_ head: HTTPRequestHead) {
        writeHead(method: head) { encoder, buffer in encoder.encodeHead(head, into: &buffer) }
    }

    /// Writes the upstream head for a client's request, rewritten on the way (not flushed), into
    /// the loop's `headBuffer` when given.
    func writeHead(
        rewriting head: HTTPRequestHead, framing: RequestBodyFraming, context: ForwardingContext, droppedField: String?,
        headBuffer: HeadBuffer? = nil
    ) {
        // Only the method matters to the response parser, and rewriting keeps it.
        writeHead(method: head, headBuffer: headBuffer) { encoder, buffer in
            encoder.encodeHead(rewriting: head, framing: framing, context: context, droppedField: droppedField, into: &buffer)
        }
    }

    private func writeHead(
        method head: HTTPRequestHead, headBuffer: HeadBuffer? = nil, encode: (inout UpstreamRequestEncoder, inout ByteBuffer) -> Void
    ) {
        handler.requestSent(isHEAD: head.method == .HEAD)
        var buffer = headBuffer?.take(capacity: Self.headCapacity) ?? channel.allocator.buffer(capacity: Self.headCapacity)
        encode(&encoder, &buffer)
        heldHead = (buffer, headBuffer)
        unflushed = true
    }

    /// Hands the held head to NIO, ahead of the body part about to be written.
    private func writeHeldHead() {
        guard let (bytes, headBuffer) = heldHead else { return }
        heldHead = nil
        handler.write(bytes)
        headBuffer?.recycle(bytes)
    }

    /// A client head plus the forwarding fields Gatehouse adds overflowed 256 bytes (a
    /// reallocating copy per request); 1 KiB holds the usual head at once.
    private static let headCapacity = 1024

    /// Writes a part of the request body (not flushed). A part past the length the head
    /// declared is not written: the connection is closed with nothing more sent, and the
    /// exchange fails (see `UpstreamRequestEncoder`).
    func writeBody(_ part: ByteBuffer) throws(UpstreamFailure) {
        do {
            try encoder.encodeBody(part, allocator: channel.allocator) { bytes in
                writeHeldHead()
                handler.write(bytes)
            }
        } catch {
            throw refuse(error)
        }
        unflushed = true
    }

    /// Ends the request, and flushes everything written for it: the response timeout starts.
    /// A body shorter than the head declared closes the connection instead, before the flush
    /// (unflushed writes are dropped), and the exchange fails.
    func writeEnd() throws(UpstreamFailure) {
        let end: ByteBuffer?
        do {
            end = try encoder.encodeEnd()
        } catch {
            throw refuse(error)
        }
        if let end {
            writeHeldHead()
            handler.write(end)
        }
        flush()
        handler.requestWritten()
    }

    /// Closes the connection on a framing mismatch: the origin must never see the next request
    /// on it, which it would read as this one's body.
    private func refuse(_ mismatch: RequestFramingMismatch) -> UpstreamFailure {
        close()
        return .requestFramingMismatch(mismatch)
    }

    func flush() {
        unflushed = false
        guard let (bytes, headBuffer) = heldHead else {
            handler.flush()
            return
        }
        heldHead = nil
        handler.writeAndFlush(bytes)
        headBuffer?.recycle(bytes)
    }

    /// Flushes when something was written since the last flush: a flush with nothing to send
    /// still walks the pipeline, and the client side asks after every read.
    func flushIfNeeded() {
        if unflushed {
            flush()
        }
    }

    /// Drops the connection, e.g. after an abandoned exchange whose framing is now unknown.
    func close() {
        heldHead = nil
        handler.endExchange()
        channel.close(promise: nil)
    }
}
