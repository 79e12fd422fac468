// ResponseHeadRewriter: turns an upstream response head into the fields sent to the client.
import NIOCore
import NIOHTTP1

/// Writes the downstream response's fields: the upstream's minus hop-by-hop ones and minus
/// `Content-Length`, `Via` with Gatehouse's hop added, `X-Request-Id` unless the origin set one.
/// The framing fields and `Connection` are the client connection's, stated after these by the
/// encoder from the framing it actually uses (`DownstreamResponseEncoder.endHead`), so the head
/// cannot declare one framing while the body goes out in another.
///
/// Written straight into the response buffer in one pass over the upstream fields, never as a
/// second `HTTPHeaders`: this runs for every response that is not a cache hit.
public enum ResponseHeadRewriter {
    /// Returns whether the origin's fields included `Date` (a proxy adds one when not), and the
    /// length its `Content-Length` fields state: one number, also when given as a list or in
    /// several fields of the same number (RFC 9110 §8.6 has a recipient restate those as one);
    /// nil when there is none, or none that is valid and consistent (possible only where there
    /// is no body: the parser refuses them elsewhere).
    public static func writeFields(
        of head: HTTPResponseHead,
        requestID: String,
        into buffer: inout ByteBuffer
    ) -> (hasDate: Bool, contentLength: Int?) {
        let connectionOptions = HopByHopHeaders.connectionOptions(in: head.headers)
        var sawVia = false
        var sawRequestID = false
        var sawDate = false
        var length: Int?
        var lengthIsInvalid = false
        for (name, value) in head.headers {
            // Before the hop-by-hop check: `Connection: Content-Length` does not take the length
            // away (the parser framed the body by it), it only keeps this field from being copied.
            if FieldName.equals(name, "content-length") {
                if let stated = HTTPBodyReader.contentLength(value), length == nil || length == stated {
                    length = stated
                } else {
                    lengthIsInvalid = true
                }
                continue  // restated by the encoder
            }
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
        return (sawDate, lengthIsInvalid ? nil : length)
    }
}
