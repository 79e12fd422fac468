// ResponseHeadRewriter: turns an upstream response head into the head sent to the client.
import NIOHTTP1

/// Builds the downstream response head: hop-by-hop fields removed (the encoder restates the
/// framing for the client's connection), `Via` and `X-Request-Id` added, `Connection: close`
/// when the client connection ends after this response.
public enum ResponseHeadRewriter {
    public static func downstreamHead(
        for head: HTTPResponseHead,
        requestVersion: HTTPVersion,
        requestID: String,
        keepAlive: Bool
    ) -> HTTPResponseHead {
        var headers = head.headers
        HopByHopHeaders.remove(from: &headers)
        RequestHeadRewriter.appendVia(to: &headers)
        if !headers.contains(name: RequestID.headerName) {
            headers.add(name: RequestID.canonicalHeaderName, value: requestID)
        }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if requestVersion.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: requestVersion, status: head.status, headers: headers)
    }

    /// Whether a response can be sent on a kept-alive connection: an HTTP/1.0 client cannot
    /// read a chunked body, so a response without a length ends its connection.
    public static func canKeepAlive(_ head: HTTPResponseHead, requestVersion: HTTPVersion, requestIsHEAD: Bool) -> Bool {
        guard requestVersion.minor == 0 else { return true }
        if requestIsHEAD || head.status.code == 204 || head.status.code == 304 || head.status.code < 200 {
            return true
        }
        return head.headers.contains(name: "content-length")
    }
}
