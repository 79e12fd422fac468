// RateLimitHeaders+Wire: the rate-limit fields written as bytes, for responses encoded without HTTPHeaders.
import NIOCore

extension RateLimitHeaders {
    /// Writes the same fields as `add(to:)`, as wire lines.
    public func write(into buffer: inout ByteBuffer) {
        if let plan, plan.madeByEveryPolicy(outcome.results) {
            // The usual case: the whole policy field and each member's name come precomputed.
            buffer.writeString(plan.everyPolicyFieldsStart)
            for index in outcome.results.indices {
                writeRateLimitMember(at: index, prefix: plan.policies[index].text.remainingPrefix, into: &buffer)
            }
            buffer.writeStaticString("\r\n")
        } else if !outcome.results.isEmpty {
            buffer.writeStaticString("RateLimit-Policy: ")
            writePolicy(into: &buffer)
            buffer.writeStaticString("\r\nRateLimit: ")
            writeRateLimit(into: &buffer)
            buffer.writeStaticString("\r\n")
        }
        if let retryAfter {
            buffer.writeStaticString("Retry-After: ")
            buffer.writeDecimal(retryAfter)
            buffer.writeStaticString("\r\n")
        }
    }
}
