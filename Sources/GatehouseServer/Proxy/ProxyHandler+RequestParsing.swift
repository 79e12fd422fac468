// ProxyHandler+RequestParsing: requests read off the client's bytes, pipelined ones queued in bounds, and malformed ones refused.
import GatehouseCore
import NIOCore
import NIOHTTP1

extension ProxyHandler {
    /// Delivers `part`, or queues it behind the request in progress; false when the queue is
    /// full and parsing must stop.
    func received(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) -> Bool {
        if case .closed = state { return true }  // dropped
        var isHead = false
        if case .head = part { isHead = true }
        if !pipelined.isEmpty || (isHead && !isIdle) {
            pipelined.append(.part(part))
            return pipelined.count < Self.maxQueuedParts
        }
        deliver(part, context: context)
        return true
    }

    /// Keeps `buffer`'s bytes unparsed behind a full queue, copied: a slice would pin NIO's
    /// pooled receive buffer, which is larger than what is left of it. Held even when empty:
    /// the rest of the same read (NIO's next buffers) is then held too, not parsed.
    func hold(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if case .closed = state { return }
        var buffer = buffer
        var held = unparsed ?? context.channel.allocator.buffer(capacity: buffer.readableBytes)
        unparsed = nil  // one reference while it grows
        held.writeBuffer(&buffer)
        unparsed = held
    }

    /// Parses held bytes into the queue (never delivering them itself: `deliverPipelined`
    /// does, in order) until it is full again; what is left stays held.
    func parseHeldBytes() {
        guard var bytes = unparsed else { return }
        unparsed = nil
        do {
            while pipelined.count < Self.maxQueuedParts, let part = try requestParser.next(&bytes) {
                pipelined.append(.part(part))
            }
        } catch let error as HTTPSyntaxError {
            pipelined.append(.parseError(error))  // nothing after it is read
            return
        } catch {
            closeConnection()
            return
        }
        if bytes.readableBytes > 0 {
            unparsed = bytes
        } else if inputClosed {
            inputEnded()  // the FIN came after these bytes
        }
    }

    /// Requests (their heads, body parts and ends) read and queued behind the one in progress
    /// before the rest of a read is left unparsed: five small pipelined requests or so.
    static let maxQueuedParts = 16

    func deliver(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receivedHead(head, context: context)
        case .body(let buffer):
            receivedBody(buffer, context: context)
        case .end:
            receivedEnd(context: context)
        }
    }

    /// Hands queued pipelined requests over, in order, while the connection is ready for them.
    func deliverPipelined() {
        guard !deliveringPipelined, let context else { return }
        deliveringPipelined = true
        defer { deliveringPipelined = false }
        while true {
            if case .closed = state {
                pipelined.removeAll()
                unparsed = nil
                return
            }
            if pipelined.isEmpty {
                guard unparsed != nil else { return }  // the usual case: nothing queued, nothing held
                parseHeldBytes()
            }
            guard let next = pipelined.first else { return }
            let ready: Bool
            switch next {
            case .part(.head):
                ready = isIdle  // the next request waits for the current one
            case .part:
                ready = true  // the rest of the request just delivered
            case .parseError:
                ready = isIdle || !currentRequestEnded
            }
            guard ready else { return }
            pipelined.removeFirst()
            switch next {
            case .part(let part):
                deliver(part, context: context)
            case .parseError(let error):
                refuseMalformed(error)
            }
        }
    }

    var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// Whether the request in progress has been read to its end (later bytes are another request's).
    var currentRequestEnded: Bool {
        switch state {
        case .connecting(let request), .forwarding(let request, _), .respondingLocally(let request):
            request.requestEnded
        case .idle, .closed:
            false
        }
    }

    /// Bytes that are no request: refused in turn after a complete request still being answered.
    func refuse(_ parserError: HTTPSyntaxError) {
        if !pipelined.isEmpty || currentRequestEnded {
            pipelined.append(.parseError(parserError))
            return
        }
        refuseMalformed(parserError)
    }

    func refuseMalformed(_ parserError: HTTPSyntaxError) {
        let refusal = Self.refusal(for: parserError)
        // A request whose body turned out malformed (or cut) is refused as itself: its own
        // access-log line, and out of the in-flight gauge.
        var refused: InFlightRequest?
        switch state {
        case .forwarding(let request, let upstream):
            abandon(request, upstream: upstream)
            if request.responseStarted {
                closeConnection()
                return
            }
            refused = request
        case .connecting(let request):
            abandon(request, upstream: nil)
            refused = request
        case .respondingLocally:
            // The request has its answer (a 429, a 401, an origin's early one) and is counted;
            // its body, read to be dropped, turned out malformed or cut. A second response to
            // it would be one too many, and a refusal counted for it a request that never was:
            // the connection just closes once the answer has gone out (as nginx does).
            closeAfterPendingWrites()
            return
        case .idle, .closed:
            break
        }
        if case .closed = state { return }
        state = .closed
        if let refused {
            refused.status = refusal.status
            record(refused)
        } else {
            recordRefusal(refusal)
        }
        connectionGuard.refuse(refusal)
    }

    static func refusal(for error: HTTPSyntaxError) -> GatehouseError {
        error.isTooLarge
            ? GatehouseError(.headersTooLarge, "Request header fields too large", cause: error)
            : GatehouseError(.badRequest, "Malformed HTTP request", cause: error)
    }
}
