// UpstreamRoundTrip: what the upstream parses from the request Gatehouse sends must be that request.
import FuzzSupport
import GatehouseCore
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Encodes the upstream head and the body as an upstream connection does
/// (`UpstreamRequestEncoder`), decodes the bytes
/// as an origin server would, and requires exactly the one request we meant: same method,
/// target and fields, same body bytes, nothing left over. Anything else is request smuggling.
enum UpstreamRoundTrip {
    static func check(_ head: HTTPRequestHead, body: [UInt8], framing: RequestBodyFraming) {
        let wire = encode(head, body: body)
        let parts = decode(wire)
        guard parts.count >= 2, case .head(let parsed) = parts[0], case .end = parts[parts.count - 1] else {
            fatalError("the upstream parses \(describe(parts)) from \(String(decoding: wire, as: UTF8.self).debugDescription)")
        }
        var received: [UInt8] = []
        for part in parts.dropFirst().dropLast() {
            guard case .body(let buffer) = part else {
                fatalError("the upstream parses more than one request: \(describe(parts))")
            }
            received += buffer.readableBytesView
        }
        require(parsed.method == head.method, "the upstream sees method \(parsed.method), we sent \(head.method)")
        require(parsed.uri == head.uri, "the upstream sees target \(parsed.uri.debugDescription)")
        require(
            endToEnd(parsed.headers) == endToEnd(head.headers),
            "the upstream sees other fields: \(parsed.headers) vs \(head.headers)"
        )
        require(received == body, "the upstream receives \(received.count) body bytes, the client sent \(body.count)")
    }

    /// The usual request is written straight from the client's head, never built: those bytes
    /// (and the body framing they fix) must be exactly the built head's.
    static func checkDirectEncoding(
        of client: HTTPRequestHead, framing: RequestBodyFraming, context: ForwardingContext, matches upstream: HTTPRequestHead
    ) {
        var builtEncoder = UpstreamRequestEncoder()
        var built = ByteBuffer()
        builtEncoder.encodeHead(upstream, into: &built)
        var directEncoder = UpstreamRequestEncoder()
        var direct = ByteBuffer()
        directEncoder.encodeHead(rewriting: client, framing: framing, context: context, droppedField: nil, into: &direct)
        require(
            direct == built,
            "the head written directly differs: \(String(buffer: direct).debugDescription) vs \(String(buffer: built).debugDescription)"
        )
        require(directEncoder.chunked == builtEncoder.chunked, "the direct head frames the body otherwise")
        require(directEncoder.declaredLength == builtEncoder.declaredLength, "the direct head declares another body length")
    }

    /// Fields other than the framing ones, which the encoder may restate. A value is compared
    /// as the origin's decoder reads its wire bytes: Gatehouse holds obs-text bytes one scalar
    /// each (`FieldValueBytes`) and writes them back byte for byte, where NIO's decoder reads
    /// the same bytes as UTF-8, so both sides go through the bytes to compare alike.
    private static func endToEnd(_ headers: HTTPHeaders) -> [String] {
        headers.filter { !["content-length", "transfer-encoding"].contains($0.name.lowercased()) }
            .map { "\($0.name.lowercased()): \(String(decoding: FieldValueBytes.bytes(of: $0.value), as: UTF8.self))" }
    }

    private static func encode(_ head: HTTPRequestHead, body: [UInt8]) -> [UInt8] {
        var encoder = UpstreamRequestEncoder()
        var wire = ByteBuffer()
        encoder.encodeHead(head, into: &wire)
        do {
            if !body.isEmpty {
                try encoder.encodeBody(ByteBuffer(bytes: body), allocator: ByteBufferAllocator()) { part in
                    wire.writeImmutableBuffer(part)
                }
            }
            if let end = try encoder.encodeEnd() {
                wire.writeImmutableBuffer(end)
            }
        } catch {
            // The head states the client's framing and this is the client's body: they must agree.
            fatalError("the encoder refused the body of the head it was given: \(error)")
        }
        return Array(wire.readableBytesView)
    }

    /// Every part an origin's HTTP/1.1 parser makes of `wire`; a parse error is reported as a trap.
    private static func decode(_ wire: [UInt8]) -> [HTTPServerRequestPart] {
        let channel = EmbeddedChannel()
        do {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
            try channel.writeInbound(ByteBuffer(bytes: wire))
        } catch {
            fatalError("the upstream cannot parse what we send: \(error) in \(String(decoding: wire, as: UTF8.self).debugDescription)")
        }
        var parts: [HTTPServerRequestPart] = []
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            parts.append(part)
        }
        // The connection ends here: bytes the parser still holds (a body the encoder did not
        // frame, say) are reported now, as an error or as a further request.
        do {
            _ = try channel.finish()
        } catch {
            fatalError("the upstream is left with bytes after the request: \(error) in \(String(decoding: wire, as: UTF8.self).debugDescription)")
        }
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            parts.append(part)
        }
        return parts
    }

    private static func describe(_ parts: [HTTPServerRequestPart]) -> String {
        parts.map { part in
            switch part {
            case .head(let head): "head(\(head.method) \(head.uri))"
            case .body(let buffer): "body(\(buffer.readableBytes))"
            case .end: "end"
            }
        }.joined(separator: ", ")
    }
}
