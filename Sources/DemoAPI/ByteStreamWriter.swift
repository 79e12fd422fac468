// Writes the body of `/bytes/{n}` only as fast as the peer reads it.
import NIOCore
import NIOHTTP1

/// Writes shared 64 KiB slices of ``BytePattern/chunk`` while the channel is writable, then stops;
/// the handler calls ``writeWhileWritable(context:)`` again when writability returns. So at most
/// the channel's high-water mark of the body is ever buffered, whatever `n` is.
final class ByteStreamWriter {
    private(set) var remaining: Int

    init(length: Int) {
        self.remaining = length
    }

    /// Returns true once every byte has been written (not necessarily flushed to the socket yet).
    func writeWhileWritable(context: ChannelHandlerContext) -> Bool {
        let channel = context.channel
        // A flush may drain the socket synchronously and make the channel writable again.
        repeat {
            while self.remaining > 0, channel.isWritable, channel.isActive {
                let size = min(self.remaining, BytePattern.chunk.readableBytes)
                guard let slice = BytePattern.chunk.getSlice(at: BytePattern.chunk.readerIndex, length: size) else {
                    self.remaining = 0
                    break
                }
                self.remaining -= size
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(slice))), promise: nil)
            }
            context.flush()
        } while self.remaining > 0 && channel.isWritable && channel.isActive
        return self.remaining == 0
    }
}
