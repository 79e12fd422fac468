// ServerState: the process-wide state both listeners share — current runtime, metrics, drain flag.
import Atomics
import GatehouseCore
import Logging
import NIOCore

/// What outlives any one config: the metrics registry, the per-loop metric recorders, the
/// drain flag, and the box holding the current runtime.
final class ServerState: Sendable {
    let group: any EventLoopGroup
    let metrics: GatehouseMetrics
    let recorders: PerEventLoop<RequestMetricsRecorder>
    /// The backstop on remote store calls, one queue and timer per loop.
    let storeDeadlines: PerEventLoop<StoreDeadlines>
    /// The buffer each loop encodes its response heads into.
    let headBuffers: PerEventLoop<HeadBuffer>
    let runtimeBox: RuntimeBox
    let connectionLimiter: ConnectionLimiter
    let logger: Logger
    /// How upstream host names are resolved, at every reload and in between.
    let resolver: any UpstreamAddressResolver
    private let drainingFlag = ManagedAtomic(false)

    init(
        group: any EventLoopGroup, metrics: GatehouseMetrics, runtime: ProxyRuntime, logger: Logger,
        resolver: any UpstreamAddressResolver
    ) {
        self.group = group
        self.metrics = metrics
        self.recorders = PerEventLoop(group: group) { _, _ in RequestMetricsRecorder(metrics: metrics) }
        self.storeDeadlines = PerEventLoop(group: group) { _, loop in StoreDeadlines(eventLoop: loop) }
        self.headBuffers = PerEventLoop(group: group) { _, _ in HeadBuffer(allocator: ByteBufferAllocator()) }
        self.runtimeBox = RuntimeBox(runtime)
        self.connectionLimiter = ConnectionLimiter(limit: runtime.config.server.maxConnections)
        self.logger = logger
        self.resolver = resolver
    }

    var runtime: ProxyRuntime { runtimeBox.runtime }

    var isDraining: Bool { drainingFlag.load(ordering: .relaxed) }

    /// Has every loop add what its recorder counted to the registry, on the recorder's own loop;
    /// completes when all have, so a scrape after it sees every request answered before it.
    func publishRecordedMetrics(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let published = recorders.all.map { loop, recorder in
            loop.submit { recorder.publish() }
        }
        return EventLoopFuture.andAllComplete(published, on: eventLoop)
    }

    func startDraining() {
        drainingFlag.store(true, ordering: .relaxed)
        metrics.draining.set(1)
    }
}
