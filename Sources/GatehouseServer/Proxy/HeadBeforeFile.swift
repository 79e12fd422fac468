// HeadBeforeFile: a response head sent with MSG_MORE, so it leaves in one segment with the file body behind it.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Writes a response head that a `FileRegion` (a `sendfile`) follows at once straight to the
/// socket with `MSG_MORE` when nothing is queued before it; NIO's own write of it would be a
/// plain `write`. A plain write sends the head as a packet of its own before the body is queued:
/// the client is woken for a few hundred bytes, and the kernel carries one more segment each way
/// (nginx does the same unless `tcp_nopush`, whose `TCP_CORK` costs two `setsockopt`s a
/// response). `MSG_MORE` holds the head for the body without a system call more; the last part
/// of the `sendfile` pushes both. Whatever the socket does not take (a full send buffer, an
/// error) goes through NIO as before, which also reports any error.
///
/// One per connection, used on its event loop. Writing past the pipeline is right only because
/// `ProxyHandler` is the connection's one handler: nothing (no TLS) transforms what it writes.
struct HeadBeforeFile {
    /// The socket's descriptor, looked up at the first large hit: NIO hands it out through a cast
    /// to a generic protocol existential, which measured ~2 µs (half the cost of the `send`).
    /// Fixed for the channel's life; only used while NIO still reports the channel open.
    private var descriptor: CInt??

    mutating func write(_ head: ByteBuffer, context: ChannelHandlerContext) {
        var rest = head
        if Self.channelQueuesNothing(context), let socket = socketDescriptor(context) {
            let sent = Self.sendMoreFollowing(head, on: socket)
            if sent == head.readableBytes { return }
            rest.moveReaderIndex(forwardBy: sent)
        }
        context.write(NIOAny(rest), promise: nil)
    }

    private mutating func socketDescriptor(_ context: ChannelHandlerContext) -> CInt? {
        if let descriptor { return descriptor }
        let found = try? context.pipeline.syncOperations.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) { $0 }
        descriptor = .some(found ?? nil)
        return found ?? nil
    }

    /// Whether NIO holds no bytes of earlier writes for the channel (a write of ours before them
    /// would reorder the stream), and the channel is open (the descriptor is still its own).
    private static func channelQueuesNothing(_ context: ChannelHandlerContext) -> Bool {
        guard let bytes = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes) else { return false }
        return bytes == 0
    }

    /// Sends what it can of `bytes` without blocking, telling the kernel more follows; returns
    /// how many bytes went (0 on any failure).
    private static func sendMoreFollowing(_ bytes: ByteBuffer, on socket: CInt) -> Int {
        #if os(Linux)
        let sent = bytes.withUnsafeReadableBytes { buffer in
            send(socket, buffer.baseAddress, buffer.count, Int32(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL))
        }
        return max(sent, 0)
        #else
        return 0
        #endif
    }
}
