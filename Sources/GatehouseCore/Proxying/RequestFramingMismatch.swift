// RequestFramingMismatch: a request's body disagreed with the framing its head declared upstream.

/// What `UpstreamRequestEncoder` refuses: body bytes past the head's `Content-Length`, or an end
/// before all of them. Either would leave the origin reading the next request on the connection
/// as (the rest of) this one's body — request smuggling — so it is always a bug of ours, and
/// the request is failed rather than sent.
public struct RequestFramingMismatch: Error, Equatable, CustomStringConvertible {
    /// Body bytes the head declared.
    public let declared: Int
    /// Body bytes there were, or would have been with the refused part.
    public let written: Int

    public var description: String {
        "request head declared \(declared) body bytes, the body had \(written)"
    }
}
