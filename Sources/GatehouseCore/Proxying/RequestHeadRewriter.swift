// RequestHeadRewriter: turns a client's request head into the head sent upstream.
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

        if !context.peerIsTrusted {
            removeProxyOnlyFields(from: &headers)
        }
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

    /// Removes every `X-Forwarded-*` field and every field of `proxyOnlyFields`. Only names
    /// starting with `x` or `f` can be one, so most fields are ruled out without lower-casing them.
    static func removeProxyOnlyFields(from headers: inout HTTPHeaders) {
        let present = headers.compactMap { field -> String? in
            guard let first = field.name.utf8.first, first | 0x20 == UInt8(ascii: "x") || first | 0x20 == UInt8(ascii: "f") else {
                return nil
            }
            let name = field.name.lowercased()
            return name.hasPrefix("x-forwarded-") || proxyOnlyFields.contains(name) ? name : nil
        }
        for name in present {
            headers.remove(name: name)
        }
    }

    /// Adds Gatehouse's hop to `Via` (RFC 9110 §7.6.3), keeping earlier hops.
    public static func appendVia(to headers: inout HTTPHeaders) {
        let existing = headers[canonicalForm: "via"].joined(separator: ", ")
        headers.replaceOrAdd(name: "Via", value: existing.isEmpty ? viaToken : existing + ", " + viaToken)
    }
}
