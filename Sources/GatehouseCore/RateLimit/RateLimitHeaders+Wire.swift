// RateLimitHeaders+Wire: the rate-limit fields written as bytes, for responses encoded without HTTPHeaders.
import NIOCore

extension RateLimitHeaders {
    /// Writes the same fields as `add(to:)`, as wire lines.
    public func write(into buffer: inout ByteBuffer) {
        if !policy.isEmpty {
            buffer.writeHTTPField(name: "RateLimit-Policy", value: policy)
            buffer.writeHTTPField(name: "RateLimit", value: rateLimit)
        }
        if let retryAfter {
            buffer.writeStaticString("Retry-After: ")
            buffer.writeDecimal(retryAfter)
            buffer.writeStaticString("\r\n")
        }
    }
}
