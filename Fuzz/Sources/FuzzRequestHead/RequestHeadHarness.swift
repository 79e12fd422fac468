// RequestHeadHarness: feeds client bytes through NIO's HTTP request decoder as ProxyListener sets it up.
import FuzzSupport
import GatehouseCore
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Runs one input through an EmbeddedChannel holding the listener's HTTP request decoder (with
/// the `max_header_bytes` limits) and a `RequestRecorder` in ProxyHandler's place.
///
/// The input is fed twice — in one write, and cut into small reads — and both runs must see the
/// same requests: a proxy whose view of a byte stream depends on how TCP cut it would let a
/// client smuggle a request past it.
enum RequestHeadHarness {
    /// `server.max_header_bytes`, small (4KiB; the config allows 1KiB to 1MiB) so that inputs of
    /// fuzzing size reach the limit.
    static let maxHeaderBytes = 4 * 1024

    static func run(_ input: [UInt8]) {
        let whole = events(feeding: input, readSize: max(input.count, 1))
        // A read size taken from the input, so the fuzzer explores where reads are cut.
        let readSize = 1 + (input.first.map { Int($0) } ?? 0) % 7
        let pieces = events(feeding: input, readSize: readSize)
        require(
            whole == pieces,
            "the requests depend on how the bytes were cut into reads of \(readSize):\n\(whole)\nvs\n\(pieces)"
        )
    }

    /// What the handler in ProxyHandler's place saw, with the input cut into reads of `readSize`.
    static func events(feeding input: [UInt8], readSize: Int) -> [RequestRecorder.Event] {
        let channel = EmbeddedChannel()
        let recorder = RequestRecorder(checks: RequestHeadChecks.shared)
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = maxHeaderBytes
        limits.maxHeaderFieldSize = maxHeaderBytes
        do {
            // The decoder as ProxyListener.configure adds it; ProxyHandler holds pipelined
            // requests back itself, which changes nothing about how bytes become requests.
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(
                leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: limits
            )))
            try channel.pipeline.syncOperations.addHandler(recorder)
        } catch {
            fatalError("cannot build the pipeline: \(error)")
        }
        var offset = 0
        while offset < input.count, !recorder.isClosed {
            let end = min(offset + readSize, input.count)
            var buffer = channel.allocator.buffer(capacity: end - offset)
            buffer.writeBytes(input[offset..<end])
            // Errors reach the recorder, which records them; a throw here is a closed channel.
            do {
                try channel.writeInbound(buffer)
            } catch {
                break
            }
            offset = end
        }
        // The client goes away: a head or body cut short is the decoder's to report.
        _ = try? channel.finish(acceptAlreadyClosed: true)
        return recorder.events
    }
}
