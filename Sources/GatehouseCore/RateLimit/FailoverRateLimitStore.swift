// FailoverRateLimitStore: a shared store with a local fallback, for `on_store_error: allow`.

import NIOCore

/// Asks the shared store (Redis); when it fails, either counts in a local memory store
/// (`failOpen`, so limits still hold per instance while Redis is away) or passes the failure
/// on (the proxy then answers 503).
public final class FailoverRateLimitStore: RateLimitStore {
    public let primary: any RateLimitStore
    public let fallback: MemoryRateLimitStore
    public let failOpen: Bool

    public init(primary: any RateLimitStore, fallback: MemoryRateLimitStore, failOpen: Bool) {
        self.primary = primary
        self.fallback = fallback
        self.failOpen = failOpen
    }

    /// The synchronous path cannot wait for a server: it counts locally.
    public func evaluate(_ checks: [RateLimitCheck], now: UInt64) -> RateLimitOutcome {
        fallback.evaluate(checks, now: now)
    }

    public func evaluate(_ checks: [RateLimitCheck], now: UInt64, on eventLoop: any EventLoop) -> EventLoopFuture<RateLimitOutcome> {
        let fallback = self.fallback
        let failOpen = self.failOpen
        return primary.evaluate(checks, now: now, on: eventLoop).flatMapError { error in
            failOpen ? eventLoop.makeSucceededFuture(fallback.evaluate(checks, now: now)) : eventLoop.makeFailedFuture(error)
        }
    }
}
