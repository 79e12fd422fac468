// RequestHeadRewriter: turns a client's request head into the head sent upstream.
import NIOHTTP1

/// Builds the upstream request head: hop-by-hop fields removed, framing restated, and
/// `X-Forwarded-*`, `Via` and `X-Request-Id` added.
///
/// Forwarding headers from an untrusted peer are replaced rather than appended to, so a client
/// cannot plant addresses that a naive origin reading the left-most X-Forwarded-For would believe.
public enum RequestHeadRewriter {
    public static let viaToken = "1.1 gatehouse"

    public static func upstreamHead(
        for head: HTTPRequestHead,
        framing: RequestBodyFraming,
        context: ForwardingContext
    ) -> HTTPRequestHead {
        var headers = head.headers
        HopByHopHeaders.remove(from: &headers)
        headers.remove(name: "content-length")

        let absolute = RequestTarget.absoluteFormPath(of: head.uri)
        if let authority = absolute?.authority {
            headers.replaceOrAdd(name: "Host", value: authority)
        }
        let host = headers.first(name: "host") ?? ""

        let forwardedFor = headers[canonicalForm: "x-forwarded-for"].joined(separator: ", ")
        if context.peerIsTrusted && !forwardedFor.isEmpty {
            headers.replaceOrAdd(name: "X-Forwarded-For", value: forwardedFor + ", " + context.peerAddress)
        } else {
            headers.replaceOrAdd(name: "X-Forwarded-For", value: context.peerAddress)
        }
        if !(context.peerIsTrusted && headers.contains(name: "x-forwarded-proto")) {
            headers.replaceOrAdd(name: "X-Forwarded-Proto", value: context.scheme)
        }
        if !(context.peerIsTrusted && headers.contains(name: "x-forwarded-host")) {
            if host.isEmpty {
                headers.remove(name: "x-forwarded-host")
            } else {
                headers.replaceOrAdd(name: "X-Forwarded-Host", value: host)
            }
        }
        appendVia(to: &headers)
        headers.replaceOrAdd(name: RequestID.canonicalHeaderName, value: context.requestID)

        switch framing {
        case .none:
            break
        case .contentLength(let length):
            headers.add(name: "Content-Length", value: String(length))
        case .chunked:
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }

        return HTTPRequestHead(
            version: .http1_1,
            method: head.method,
            uri: absolute?.path ?? head.uri,
            headers: headers
        )
    }

    /// Adds Gatehouse's hop to `Via` (RFC 9110 §7.6.3), keeping earlier hops.
    public static func appendVia(to headers: inout HTTPHeaders) {
        let existing = headers[canonicalForm: "via"].joined(separator: ", ")
        headers.replaceOrAdd(name: "Via", value: existing.isEmpty ? viaToken : existing + ", " + viaToken)
    }
}
