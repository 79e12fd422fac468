// ChannelHandlerContext+HeadBeforeFile: a response head sent with MSG_MORE, so it leaves in one segment with the file body behind it.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

extension ChannelHandlerContext {
    /// Writes `head`, which a `FileRegion` (a `sendfile`) follows at once, straight to the socket
    /// with `MSG_MORE` when nothing is queued before it; NIO's own write of it would be a plain
    /// `write`. A plain write sends the head as a packet of its own before the body is queued:
    /// the client is woken for a few hundred bytes, and the kernel carries one more segment each
    /// way (nginx does the same unless `tcp_nopush`, whose `TCP_CORK` costs two `setsockopt`s a
    /// response). `MSG_MORE` holds the head for the body without a system call more; the last
    /// part of the `sendfile` pushes both. Whatever the socket does not take (a full send
    /// buffer, an error) goes through NIO as before, which also reports any error.
    func writeHeadBeforeFile(_ head: ByteBuffer) {
        var rest = head
        if channelQueuesNothing {
            let sent = sendNowMoreFollowing(head)
            if sent == head.readableBytes { return }
            rest.moveReaderIndex(forwardBy: sent)
        }
        write(NIOAny(rest), promise: nil)
    }

    /// Whether NIO holds no bytes of earlier writes for this channel (a write of ours before them would reorder the stream).
    private var channelQueuesNothing: Bool {
        guard let bytes = try? channel.syncOptions?.getOption(.bufferedWritableBytes) else { return false }
        return bytes == 0
    }

    /// Sends what it can of `bytes` without blocking, telling the kernel more follows; returns how many bytes went (0 on any failure).
    private func sendNowMoreFollowing(_ bytes: ByteBuffer) -> Int {
        #if os(Linux)
        let sent: Int? = try? pipeline.syncOperations.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) {
            descriptor in
            bytes.withUnsafeReadableBytes { buffer in
                send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL))
            }
        }
        guard let sent, sent > 0 else { return 0 }
        return sent
        #else
        return 0
        #endif
    }
}
