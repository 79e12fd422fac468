// RedisBackoffTests: reconnect delays grow, stay jittered within bounds, and reset.
@testable import GatehouseRedis
import NIOCore
import Testing

@Suite struct RedisBackoffTests {
    @Test func doublesToTwoSecondsWithJitterAndResets() {
        var backoff = RedisBackoff()
        var base = TimeAmount.milliseconds(50)
        for _ in 0..<10 {
            let delay = backoff.nextDelay()
            #expect(delay >= .nanoseconds(base.nanoseconds / 2) && delay <= base)
            base = min(base * 2, .seconds(2))
        }
        backoff.reset()
        #expect(backoff.nextDelay() <= .milliseconds(50))
    }
}
