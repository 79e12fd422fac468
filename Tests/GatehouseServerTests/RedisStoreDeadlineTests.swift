// RedisStoreDeadlineTests: the backstop on Redis store calls is twice redis.timeout, and never traps.
import GatehouseCore
import NIOCore
import Testing
@testable import GatehouseServer

@Suite struct RedisStoreDeadlineTests {
    @Test func isTwiceTheRedisTimeout() {
        var config = RedisConfig()
        config.timeout = .milliseconds(250)
        #expect(config.storeDeadline == .milliseconds(500))
    }

    /// A config built in code is not bounded as a checked file is: NIO's `*` trapped here.
    @Test(arguments: [Duration.nanoseconds(Int64.max), .nanoseconds(Int64.max / 2 + 1), .seconds(Int64.max)])
    func saturatesInsteadOfTrapping(_ timeout: Duration) {
        var config = RedisConfig()
        config.timeout = timeout
        #expect(config.storeDeadline == .nanoseconds(.max))
    }

    @Test func multiplicationSaturatesBothWays() {
        #expect(TimeAmount.nanoseconds(.max).saturatingMultiplied(by: 3) == .nanoseconds(.max))
        #expect(TimeAmount.nanoseconds(.min).saturatingMultiplied(by: 2) == .nanoseconds(.min))
        #expect(TimeAmount.nanoseconds(.max).saturatingMultiplied(by: -2) == .nanoseconds(.min))
        #expect(TimeAmount.seconds(3).saturatingMultiplied(by: -2) == .seconds(-6))
    }
}
