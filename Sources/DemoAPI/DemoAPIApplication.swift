// Everything the connections of one server share: configuration, users, clock and counters.
import NIOCore

/// Created once per ``DemoAPIServer``; each connection's ``DemoAPIHandler`` holds a reference.
final class DemoAPIApplication: Sendable {
    let configuration: DemoAPIConfiguration
    let clock: DateHeaderClock
    let store: UserStore
    let stats: RequestStats
    let heads: ResponseHeadBuilder
    let users: UsersEndpoint
    let diagnostics: DiagnosticsEndpoint

    init(configuration: DemoAPIConfiguration) {
        let allocator = ByteBufferAllocator()
        self.configuration = configuration
        self.clock = DateHeaderClock()
        self.store = UserStore(seedCount: configuration.seedUsers, clock: self.clock)
        self.stats = RequestStats()
        self.heads = ResponseHeadBuilder(maxAge: max(0, configuration.maxAge), clock: self.clock)
        self.users = UsersEndpoint(store: self.store, allocator: allocator)
        self.diagnostics = DiagnosticsEndpoint(stats: self.stats, allocator: allocator)
    }
}
