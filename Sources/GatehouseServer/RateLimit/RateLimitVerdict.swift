// RateLimitVerdict: what the rate-limit stage says about a request — nothing, a decision now, or one to wait for.
import GatehouseCore
import NIOCore

/// The memory store decides on the spot (no future per request); Redis answers later.
enum RateLimitVerdict {
    /// No policy applies to the request.
    case notApplicable
    case decided(RateLimitOutcome)
    case pending(EventLoopFuture<RateLimitOutcome>)
}
