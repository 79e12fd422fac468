// DirectSend: bytes sent straight to a connection's socket when NIO holds none queued before them.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Sends a response (or a request to an origin) with one system call of our own — a `send`, a
/// gathered `sendmsg` of a head and a large body, a `sendfile` of a memory-file body behind its
/// head — instead of NIO's write and flush, when NIO holds no bytes of earlier writes for the
/// channel (ours first would reorder the stream). NIO's path for a write and its flush costs
/// about 2 µs of user CPU a message here (pending write queue, promises, channel state checks,
/// `NIOAny` casts), as much as a cache hit's own work; the system call is the one NIO would
/// make. Whatever the socket does not take (a full send buffer, an error) is handed back for NIO
/// to write, which also reports any error and waits for writability.
///
/// With `moreFollows` (a response head a file body follows at once) the bytes go with
/// `MSG_MORE`, so they leave in one segment with the file body: NIO's own write of them would
/// send the head as a packet of its own, and the client is woken for a few hundred bytes
/// (nginx does the same with `tcp_nopush`, at two `setsockopt`s a response); the `sendfile`'s
/// last part pushes both.
///
/// One per connection, used on its event loop. Writing past the pipeline is right only because
/// `ProxyHandler` (a client's) and `UpstreamHandler` (an origin's) are their connection's one
/// handler: nothing (no TLS) transforms what they write.
struct DirectSend {
    /// The socket's descriptor, looked up at first use: NIO hands it out through a cast to a
    /// generic protocol existential, which measured ~2 µs. Fixed for the channel's life; only
    /// used while NIO still reports the channel open.
    private var descriptor: CInt??

    /// Writes and flushes `bytes`, which need no completion: past NIO when it can, the rest
    /// through it.
    mutating func writeAndFlush(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        if let rest = send(bytes, moreFollows: false, context: context) {
            context.writeAndFlush(NIOAny(rest), promise: nil)
        }
    }

    /// Writes and flushes `head` and then `body` (too large to copy into the head's buffer), which
    /// need no completion: past NIO with one gathered `sendmsg` when it can, what the socket does
    /// not take through NIO.
    mutating func writeAndFlush(_ head: ByteBuffer, _ body: ByteBuffer, context: ChannelHandlerContext) {
        guard Self.channelQueuesNothing(context), let socket = socketDescriptor(context) else {
            context.write(NIOAny(head), promise: nil)
            context.writeAndFlush(NIOAny(body), promise: nil)
            return
        }
        let sent = Self.send(head, body, on: socket)
        var head = head
        var body = body
        let fromHead = min(sent, head.readableBytes)
        head.moveReaderIndex(forwardBy: fromHead)
        body.moveReaderIndex(forwardBy: sent - fromHead)
        if head.readableBytes > 0 {
            context.write(NIOAny(head), promise: nil)
        }
        if body.readableBytes > 0 {
            context.writeAndFlush(NIOAny(body), promise: nil)
        }
    }

    /// Writes `head`, which `range` of the memory file `file` follows at once: past NIO as far as
    /// the socket takes them, the head with `MSG_MORE` (so both leave in one segment) and then,
    /// when `bodyPastNIO` and the whole head went, the body with one `sendfile`. What is left goes
    /// through NIO: the head's rest here, unflushed; the body's rest, returned (empty when all of
    /// it went), as a `FileRegion` the caller writes next. Past NIO the body costs no
    /// `FileRegion`, file handle or promise, nor NIO's write path (a tenth of a 100 KiB hit's
    /// user CPU).
    mutating func writeBeforeFile(
        _ head: ByteBuffer, file: CInt, range: Range<Int>, bodyPastNIO: Bool, context: ChannelHandlerContext
    ) -> Range<Int> {
        if let rest = send(head, moreFollows: true, context: context) {
            context.write(NIOAny(rest), promise: nil)
            return range
        }
        // The head went whole, so NIO holds nothing the body could overtake.
        guard bodyPastNIO, let socket = descriptor ?? nil else { return range }
        return range.lowerBound + Self.sendFile(range, of: file, on: socket)..<range.upperBound
    }

    /// Sends what the socket takes of `bytes` now; returns the rest for NIO to write (nil when
    /// all of it went).
    mutating func send(_ bytes: ByteBuffer, moreFollows: Bool, context: ChannelHandlerContext) -> ByteBuffer? {
        guard Self.channelQueuesNothing(context), let socket = socketDescriptor(context) else { return bytes }
        let sent = Self.send(bytes, on: socket, moreFollows: moreFollows)
        if sent == bytes.readableBytes { return nil }
        var rest = bytes
        rest.moveReaderIndex(forwardBy: sent)
        return rest
    }

    private mutating func socketDescriptor(_ context: ChannelHandlerContext) -> CInt? {
        if let descriptor { return descriptor }
        let found = try? context.pipeline.syncOperations.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self) { $0 }
        descriptor = .some(found ?? nil)
        return found ?? nil
    }

    /// Whether NIO holds no bytes of earlier writes for the channel, and the channel is open
    /// (the descriptor is still its own).
    private static func channelQueuesNothing(_ context: ChannelHandlerContext) -> Bool {
        guard let bytes = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes) else { return false }
        return bytes == 0
    }

    /// Sends what the socket takes of `head` and then `body` without blocking, in one call; returns
    /// how many bytes went (0 on any failure, which NIO's write of them then meets and reports).
    private static func send(_ head: ByteBuffer, _ body: ByteBuffer, on socket: CInt) -> Int {
        #if os(Linux)
        let sent = head.withUnsafeReadableBytes { headBytes in
            body.withUnsafeReadableBytes { bodyBytes in
                withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
                    vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress), iov_len: headBytes.count)
                    vectors[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress), iov_len: bodyBytes.count)
                    var message = msghdr()
                    message.msg_iov = vectors.baseAddress
                    message.msg_iovlen = 2
                    return sendmsg(socket, &message, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                }
            }
        }
        return max(sent, 0)
        #else
        return 0
        #endif
    }

    /// Sends what the socket takes of `range` of `file` without blocking; returns how many bytes
    /// went (0 on any failure, which NIO's write of them then meets and reports). The offset is
    /// the call's own: the descriptor is shared by every loop sending the same body.
    private static func sendFile(_ range: Range<Int>, of file: CInt, on socket: CInt) -> Int {
        #if os(Linux)
        var offset = off_t(range.lowerBound)
        return max(Glibc.sendfile(socket, file, &offset, range.count), 0)
        #else
        return 0
        #endif
    }

    /// Sends what it can of `bytes` without blocking; returns how many bytes went (0 on any
    /// failure, which NIO's write of them then meets and reports).
    private static func send(_ bytes: ByteBuffer, on socket: CInt, moreFollows: Bool) -> Int {
        #if os(Linux)
        let flags = Int32(MSG_DONTWAIT | MSG_NOSIGNAL) | (moreFollows ? Int32(MSG_MORE) : 0)
        let sent = bytes.withUnsafeReadableBytes { buffer in
            Glibc.send(socket, buffer.baseAddress, buffer.count, flags)
        }
        return max(sent, 0)
        #else
        return 0
        #endif
    }
}
