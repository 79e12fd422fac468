// RequestHeadHarness: feeds client bytes through the request parser as ProxyHandler reads them, and NIO's decoder.
import FuzzSupport
import GatehouseCore
@testable import GatehouseServer
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Runs one input through an EmbeddedChannel holding ProxyHandler's request parsing
/// (`ParserHandler`: `ClientRequestParser` with the `max_header_bytes` limit) and a
/// `RequestRecorder` for the rest of ProxyHandler.
///
/// The input is fed twice — in one write, and cut into small reads — and both runs must see the
/// same requests: a proxy whose view of a byte stream depends on how TCP cut it would let a
/// client smuggle a request past it. It is fed a third time through NIO's llhttp decoder, which
/// Gatehouse used before: every request both accept must be the same request with the same body
/// (a framing disagreement is the stuff of request smuggling). They may refuse differently:
/// NIO stops at an Upgrade or CONNECT; Gatehouse refuses chunked from HTTP/1.0 clients. NIO
/// keeps a field value's trailing whitespace, which RFC 9110 §5.5 excludes; it is trimmed first.
/// NIO reads a value as UTF-8 (obs-text becomes U+FFFD), Gatehouse keeps its bytes
/// (`FieldValueBytes`): Gatehouse's are compared as NIO would have read the same bytes.
enum RequestHeadHarness {
    enum Decoder {
        case gatehouse
        case nio
    }

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
        let ours = requests(in: whole)
        let theirs = requests(in: events(feeding: input, readSize: max(input.count, 1), decoder: .nio))
        for (index, (mine, nio)) in zip(ours, theirs).enumerated() {
            let nioFields = nio.head.headers.map { "\($0.name): \(trimmingTrailingWhitespace($0.value))" }
            require(
                mine.head.method == nio.head.method && mine.head.uri == nio.head.uri && mine.head.version == nio.head.version
                    && mine.head.headers.map { "\($0.name): \(String(decoding: FieldValueBytes.bytes(of: $0.value), as: UTF8.self))" } == nioFields,
                "request \(index) read differently: \(mine.head) vs NIO's \(nio.head)"
            )
            require(mine.body == nio.body, "request \(index)'s body: \(mine.body.count) bytes vs NIO's \(nio.body.count)")
        }
    }

    /// The complete requests among `events`, up to the first decoder error.
    static func requests(in events: [RequestRecorder.Event]) -> [(head: HTTPRequestHead, body: [UInt8])] {
        var complete: [(head: HTTPRequestHead, body: [UInt8])] = []
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        for event in events {
            switch event {
            case .head(let started):
                (head, body) = (started, [])
            case .body(let bytes):
                body += bytes
            case .end:
                if let head {
                    complete.append((head, body))
                }
                head = nil
            case .refused:
                continue
            case .error:
                return complete
            }
        }
        return complete
    }

    static func trimmingTrailingWhitespace(_ value: String) -> String {
        var value = Substring(value)
        while value.last == " " || value.last == "\t" {
            value.removeLast()
        }
        return String(value)
    }

    /// What the handler in ProxyHandler's place saw, with the input cut into reads of `readSize`.
    static func events(feeding input: [UInt8], readSize: Int, decoder: Decoder = .gatehouse) -> [RequestRecorder.Event] {
        let channel = EmbeddedChannel()
        let recorder = RequestRecorder(checks: RequestHeadChecks.shared)
        do {
            switch decoder {
            case .gatehouse:
                // ProxyHandler also holds pipelined requests back, which changes nothing about
                // how bytes become requests.
                try channel.pipeline.syncOperations.addHandler(ParserHandler(maxHeadBytes: maxHeaderBytes))
            case .nio:
                var limits = NIOHTTPDecoderLimitConfiguration()
                limits.maxHeaderListSize = maxHeaderBytes
                limits.maxHeaderFieldSize = maxHeaderBytes
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(
                    leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: limits
                )))
            }
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
