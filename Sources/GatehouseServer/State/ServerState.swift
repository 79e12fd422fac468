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
    /// Each loop's metric recorder, store deadlines, head buffer and turn-taking.
    let loops: PerEventLoop<LoopState>
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
        self.loops = PerEventLoop(group: group) { _, loop in
            LoopState(
                recorder: RequestMetricsRecorder(metrics: metrics), storeDeadlines: StoreDeadlines(eventLoop: loop),
                headBuffer: HeadBuffer(allocator: ByteBufferAllocator()), turn: LoopTurn()
            )
        }
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
        let published = loops.all.map { loop, state in
            loop.submit { state.recorder.publish() }
        }
        return EventLoopFuture.andAllComplete(published, on: eventLoop)
    }

    func startDraining() {
        drainingFlag.store(true, ordering: .relaxed)
        metrics.draining.set(1)
    }
}
