// ResponseHeadRewriter: turns an upstream response head into the fields sent to the client.
import NIOCore
import NIOHTTP1

/// Writes the downstream response's fields: the upstream's minus hop-by-hop ones (the encoder
/// restates the framing for the client's connection), `Via` with Gatehouse's hop added,
/// `X-Request-Id` unless the origin set one, `Connection` when the client needs to be told.
///
/// Written straight into the response buffer in one pass over the upstream fields, never as a
/// second `HTTPHeaders`: this runs for every response that is not a cache hit.
public enum ResponseHeadRewriter {
    /// Returns whether the origin's fields included `Date` (a proxy adds one when not).
    @discardableResult
    public static func writeFields(
        of head: HTTPResponseHead,
        requestVersion: HTTPVersion,
        requestID: String,
        keepAlive: Bool,
        into buffer: inout ByteBuffer
    ) -> Bool {
        let connectionOptions = HopByHopHeaders.connectionOptions(in: head.headers)
        var sawVia = false
        var sawRequestID = false
        var sawDate = false
        for (name, value) in head.headers {
            if HopByHopHeaders.isHopByHop(name, connectionOptions: connectionOptions) {
                continue
            }
            if !sawDate && FieldName.equals(name, "date") {
                sawDate = true
            }
            if FieldName.equals(name, "via") {
                sawVia = true
                continue  // restated below with Gatehouse's hop
            }
            if !sawRequestID && FieldName.equals(name, "x-request-id") {
                sawRequestID = true
            }
            buffer.writeHTTPField(name: name, value: value)
        }
        buffer.writeHTTPField(name: "Via", value: sawVia ? RequestHeadRewriter.via(after: head.headers) : RequestHeadRewriter.viaToken)
        if !sawRequestID {
            buffer.writeHTTPField(name: RequestID.canonicalHeaderName, value: requestID)
        }
        if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        } else if requestVersion.minor == 0 {
            buffer.writeStaticString("Connection: keep-alive\r\n")
        }
        return sawDate
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
