// UpstreamProber: checks every few seconds that each upstream server accepts connections.
import NIOCore
import NIOPosix

/// A periodic TCP connect to every upstream server, so /health knows reachability even without
/// traffic, and a server that recovers is used again without waiting for its cool-down.
/// Live traffic marks servers too (UpstreamConnectionPool); the two agree on one set of marks.
final class UpstreamProber: Sendable {
    static let interval: TimeAmount = .seconds(5)

    private let task: RepeatedTask
    private let eventLoop: any EventLoop

    private init(task: RepeatedTask, eventLoop: any EventLoop) {
        self.task = task
        self.eventLoop = eventLoop
    }

    /// Starts probing `runtime`'s servers (the current runtime's, at each round) on `eventLoop`.
    static func start(state: ServerState, on eventLoop: any EventLoop) -> UpstreamProber {
        let task = eventLoop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: interval) { _ in
            let runtime = state.runtime
            let servers = runtime.pools.servers
            let timeout = TimeAmount(runtime.config.upstream.connectTimeout)
            let probes = servers.servers.indices.map { index in
                // A server whose name has several addresses is up while any of them accepts.
                let connects = servers.addresses(of: index).map { address in
                    ClientBootstrap(group: eventLoop)
                        .connectTimeout(timeout)
                        .connect(to: address)
                        .map { channel in
                            channel.close(promise: nil)
                            return true
                        }
                        .recover { _ in false }
                }
                return EventLoopFuture.whenAllSucceed(connects, on: eventLoop).map { accepted in
                    if accepted.contains(true) {
                        servers.markHealthy(index)
                    } else {
                        servers.markFailed(index)
                    }
                }
            }
            return EventLoopFuture.andAllComplete(probes, on: eventLoop)
        }
        return UpstreamProber(task: task, eventLoop: eventLoop)
    }

    /// Stops probing; completes once a probe round in progress has finished, so no connect
    /// is left pending when the event loops shut down.
    func stop() async {
        let stopped = eventLoop.makePromise(of: Void.self)
        task.cancel(promise: stopped)
        try? await stopped.futureResult.get()
    }
}
