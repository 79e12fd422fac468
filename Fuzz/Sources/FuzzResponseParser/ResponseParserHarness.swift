// ResponseParserHarness: what must hold for any bytes an origin sends, read by UpstreamResponseParser.
import FuzzSupport
import GatehouseCore
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Parses the input whole and cut in two, and with NIO's `HTTPResponseDecoder`, then requires:
/// - it never crashes, and the events come in order (one head, body parts, at most one end);
/// - where the input is cut makes no difference (same head, body bytes, end and verdict);
/// - where both parsers accept the response, they read the same head and the same body.
///   They may differ in what they refuse: this parser is stricter (obs-fold, a reason phrase with
///   control characters, 101, a transfer coding other than chunked alone) and reads a bare LF as
///   a line end. NIO keeps a field value's
///   trailing whitespace, which RFC 9110 §5.5 excludes from the value; it is trimmed before comparing.
///   NIO reads a value as UTF-8 (obs-text becomes U+FFFD), this parser keeps its bytes
///   (`FieldValueBytes`): ours are compared as NIO would have read the same bytes.
enum ResponseParserHarness {
    /// What one parse made of the bytes.
    struct Reading: Equatable {
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        var ended = false
        var refused = false
    }

    static func run(_ input: [UInt8]) {
        guard let flags = input.first else { return }
        let wire = Array(input.dropFirst())
        let toHEAD = flags & 1 == 1
        let closed = flags & 2 == 2
        let whole = parse(wire, toHEAD: toHEAD, closed: closed, cut: nil)
        if !wire.isEmpty {
            let cut = Int(flags >> 2) % wire.count
            let split = parse(wire, toHEAD: toHEAD, closed: closed, cut: cut)
            require(split == whole, "cut at \(cut) changed the reading: \(split) vs \(whole)")
        }
        guard !whole.refused, whole.ended, let nio = nioReading(wire, toHEAD: toHEAD, closed: closed),
              !nio.refused, nio.ended
        else { return }
        require(nio.head?.status.code == whole.head?.status.code, "status: NIO \(String(describing: nio.head)) vs \(String(describing: whole.head))")
        require(nio.head?.version == whole.head?.version, "version differs")
        let ours = whole.head.map { $0.headers.map { "\($0.name): \(String(decoding: FieldValueBytes.bytes(of: $0.value), as: UTF8.self))" } } ?? []
        let theirs = nio.head.map { $0.headers.map { "\($0.name): \(trimmingTrailingWhitespace($0.value))" } } ?? []
        require(ours == theirs, "fields: NIO \(theirs) vs \(ours)")
        require(nio.body == whole.body, "body: NIO \(nio.body.count) bytes vs \(whole.body.count)")
    }

    static func trimmingTrailingWhitespace(_ value: String) -> String {
        var value = Substring(value)
        while value.last == " " || value.last == "\t" {
            value.removeLast()
        }
        return String(value)
    }

    static func parse(_ wire: [UInt8], toHEAD: Bool, closed: Bool, cut: Int?) -> Reading {
        var parser = UpstreamResponseParser(maxHeadBytes: 8192)
        parser.expectResponse(toHEAD: toHEAD)
        var reading = Reading()
        let pieces = cut.map { [wire[..<$0], wire[$0...]] } ?? [wire[...]]
        do {
            for piece in pieces {
                var buffer = ByteBuffer(bytes: piece)
                while !reading.ended, let event = try parser.next(&buffer) {
                    reading.record(event)
                }
            }
            if closed, !reading.ended, let event = parser.connectionClosed() {
                reading.record(event)
            }
        } catch {
            reading.refused = true
        }
        return reading
    }

    /// NIO's reading of the same bytes; nil when the decoder could not be set up.
    static func nioReading(_ wire: [UInt8], toHEAD: Bool, closed: Bool) -> Reading? {
        let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)
        decoder.write(data: .head(HTTPRequestHead(version: .http1_1, method: toHEAD ? .HEAD : .GET, uri: "/")))
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        guard (try? channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ObservedDecoder(decoder: decoder)))) != nil else {
            return nil
        }
        var reading = Reading()
        do {
            try channel.writeInbound(ByteBuffer(bytes: wire))
            if closed {
                channel.pipeline.fireChannelInactive()
            }
            while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
                switch part {
                case .head(let head):
                    if reading.head == nil {
                        reading.head = head
                    }
                case .body(let buffer):
                    reading.body += buffer.readableBytesView
                case .end:
                    reading.ended = true
                    return reading
                }
            }
        } catch {
            reading.refused = true
        }
        return reading
    }
}

extension ResponseParserHarness.Reading {
    mutating func record(_ event: UpstreamResponseParser.Event) {
        switch event {
        case .head(let head):
            require(self.head == nil, "a second head")
            self.head = head
        case .body(let buffer):
            require(head != nil && !ended, "body outside a response")
            require(buffer.readableBytes > 0, "an empty body part")
            body += buffer.readableBytesView
        case .end:
            require(head != nil && !ended, "end outside a response")
            ended = true
        }
    }
}

/// NIO's response decoder, told about the request directly (as Gatehouse's own wrapper did
/// before this parser replaced it).
struct ObservedDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart
    let decoder: HTTPResponseDecoder

    func decoderAdded(context: ChannelHandlerContext) {
        decoder.decoderAdded(context: context)
    }

    /// Breaks the decoder's cycle with its parser; without it each run leaks the pair.
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
