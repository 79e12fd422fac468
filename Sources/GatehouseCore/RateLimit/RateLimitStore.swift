// RateLimitStore: the seam between the policies and where the counters live (memory now, Redis later).

import NIOCore

/// Evaluates all the checks of one request atomically.
///
/// Semantics every store implements (the memory store here, a Lua script in Redis):
/// the request is admitted only if every check admits; a refused request consumes no quota in any
/// policy (check all, then record all); each check counts with `SlidingWindow`'s rule so limits are
/// strict at any alignment.
public protocol RateLimitStore: Sendable {
    /// Evaluates `checks` at `now` (monotonic nanoseconds) and records the request if admitted.
    func evaluate(_ checks: [RateLimitCheck], now: UInt64) -> RateLimitOutcome

    /// The same, for stores that must wait for a server; completes on `eventLoop`.
    func evaluate(_ checks: [RateLimitCheck], now: UInt64, on eventLoop: any EventLoop) -> EventLoopFuture<RateLimitOutcome>
}

extension RateLimitStore {
    /// A local store answers at once.
    public func evaluate(_ checks: [RateLimitCheck], now: UInt64, on eventLoop: any EventLoop) -> EventLoopFuture<RateLimitOutcome> {
        eventLoop.makeSucceededFuture(evaluate(checks, now: now))
    }
}
