// UpstreamResponseDecoder: NIO's HTTP response decoder, told about requests directly instead of by watching writes.
import NIOCore
import NIOHTTP1

/// Wraps `HTTPResponseDecoder` so that `ByteToMessageHandler` sees a plain decoder: NIO's
/// write-observing variant sits on the outbound path and needs every request as an
/// `HTTPClientRequestPart`, while `UpstreamConnection` writes requests as bytes it encoded itself.
/// The decoder still has to know which responses answer a HEAD (they have no body whatever their
/// length fields say), so the connection reports each request head through `requestSent`.
struct UpstreamResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart

    /// A class: the handler keeps this copy of the struct, the connection a reference to the same decoder.
    let decoder: HTTPResponseDecoder

    init(decoder: HTTPResponseDecoder) {
        self.decoder = decoder
    }

    /// Records a request about to be written, so its response is decoded the right way.
    func requestSent(_ head: HTTPRequestHead) {
        decoder.write(data: .head(head))
    }

    func decoderAdded(context: ChannelHandlerContext) {
        decoder.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        decoder.decoderRemoved(context: context)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try decoder.decode(context: context, buffer: &buffer)
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}
