// RequestHeadRewriter: turns a client's request head into the head sent upstream.
import NIOCore
import NIOHTTP1

/// Builds the upstream request head: hop-by-hop fields removed, framing restated, and
/// `X-Forwarded-*`, `Via` and `X-Request-Id` added.
///
/// Forwarding headers from an untrusted peer are replaced rather than appended to, so a client
/// cannot plant addresses that a naive origin reading the left-most X-Forwarded-For would believe.
public enum RequestHeadRewriter {
    public static let viaToken = "1.1 gatehouse"

    /// Fields that, like `X-Forwarded-Host`, only a proxy in front should set, and that origins
    /// and frameworks read to rebuild the request's URL, host, scheme, port or client (Symfony and
    /// IIS route on `X-Original-URL`/`X-Rewrite-URL`; many apps build absolute links from
    /// `Forwarded`, `X-Forwarded-Port/-Scheme/-Prefix` or `X-Host`): every `X-Forwarded-*` field
    /// and these. None is part of the cache key, so from an untrusted peer they are dropped (the
    /// three Gatehouse sets are then set afresh): a response built from a forged one would
    /// otherwise be stored under the plain URL and served to everyone (web cache poisoning).
    public static let proxyOnlyFields: Set<String> = [
        "forwarded", "x-real-ip", "x-host", "x-original-host", "x-original-url", "x-rewrite-url",
    ]

    /// The head to send upstream. `droppedField` (the user header, from a peer that may not set
    /// it) is left out too.
    public static func upstreamHead(
        for head: HTTPRequestHead,
        framing: RequestBodyFraming,
        context: ForwardingContext,
        droppedField: String? = nil
    ) -> HTTPRequestHead {
        let absolute = RequestTarget.absoluteFormPath(of: head.uri)
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 6)
        rewriteFields(of: head, absolute: absolute, framing: framing, context: context, droppedField: droppedField, into: &headers)
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: absolute?.path ?? head.uri, headers: headers)
    }

    /// Writes the head `upstreamHead` would build as wire bytes (request line, fields, blank
    /// line), without building it: a request forwarded as it is needs no head of its own.
    public static func writeUpstreamHead(
        for head: HTTPRequestHead,
        framing: RequestBodyFraming,
        context: ForwardingContext,
        droppedField: String? = nil,
        into buffer: inout ByteBuffer
    ) {
        let absolute = RequestTarget.absoluteFormPath(of: head.uri)
        buffer.writeHTTPRequestLine(method: head.method, uri: absolute?.path ?? head.uri)
        rewriteFields(of: head, absolute: absolute, framing: framing, context: context, droppedField: droppedField, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// The upstream fields, in one pass over the client's, each name classified without
    /// lower-casing it: this runs for every request that goes upstream.
    private static func rewriteFields<Sink: HTTPFieldSink>(
        of head: HTTPRequestHead,
        absolute: (authority: String, path: String)?,
        framing: RequestBodyFraming,
        context: ForwardingContext,
        droppedField: String?,
        into sink: inout Sink
    ) {
        let connectionOptions = HopByHopHeaders.connectionOptions(in: head.headers)
        let trusted = context.peerIsTrusted
        var host = absolute?.authority
        var sawForwardedFor = false
        var sawVia = false
        var keptProto = false
        var keptHost = false
        let dropped = droppedField?.lowercased()
        for (name, value) in head.headers {
            if HopByHopHeaders.isHopByHop(name, connectionOptions: connectionOptions)
                || (dropped.map { FieldName.equals(name, lowercased: $0) } ?? false)
            {
                continue
            }
            switch ForwardedFieldKind(name) {
            case .contentLength, .requestID:
                continue  // restated below
            case .host:
                guard absolute == nil else { continue }  // the target's authority replaces it
                if host == nil { host = value }
            case .forwardedFor:
                sawForwardedFor = sawForwardedFor || trusted
                continue  // restated below, with this peer added
            case .via:
                sawVia = true
                continue  // restated below, with Gatehouse's hop added
            case .forwardedProto:
                guard trusted else { continue }
                keptProto = true
            case .forwardedHost:
                guard trusted else { continue }
                keptHost = true
            case .otherProxyOnly:
                guard trusted else { continue }
            case .other:
                break
            }
            sink.appendField(name: name, value: value)
        }
        if let authority = absolute?.authority {
            sink.appendField(name: "Host", value: authority)
        } else if host == nil, let fallback = context.hostWhenNone {
            sink.appendField(name: "Host", value: fallback)
        }
        let forwardedFor = sawForwardedFor ? head.headers[canonicalForm: "x-forwarded-for"].joined(separator: ", ") : ""
        sink.appendField(name: "X-Forwarded-For", value: forwardedFor.isEmpty ? context.peerAddress : forwardedFor + ", " + context.peerAddress)
        if !keptProto {
            sink.appendField(name: "X-Forwarded-Proto", value: context.scheme)
        }
        if !keptHost, let host, !host.isEmpty {
            sink.appendField(name: "X-Forwarded-Host", value: host)
        }
        sink.appendField(name: "Via", value: sawVia ? via(after: head.headers) : viaToken)
        sink.appendField(name: RequestID.canonicalHeaderName, value: context.requestID)

        switch framing {
        case .none:
            // RFC 9110 §8.6: a request whose method gives content a meaning states its length
            // even when there is none, so the origin need not guess.
            if head.method == .POST || head.method == .PUT || head.method == .PATCH {
                sink.appendField(name: "Content-Length", value: "0")
            }
        case .contentLength(let length):
            sink.appendField(name: "Content-Length", value: String(length))
        case .chunked:
            sink.appendField(name: "Transfer-Encoding", value: "chunked")
        }
    }

    /// Adds Gatehouse's hop to `Via` (RFC 9110 §7.6.3), keeping earlier hops.
    public static func appendVia(to headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: "Via", value: via(after: headers))
    }

    /// The `Via` value with Gatehouse's hop after the hops `headers` already list.
    static func via(after headers: HTTPHeaders) -> String {
        let existing = headers[canonicalForm: "via"].joined(separator: ", ")
        return existing.isEmpty ? viaToken : existing + ", " + viaToken
    }
}
