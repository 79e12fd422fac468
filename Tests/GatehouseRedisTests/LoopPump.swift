// LoopPump: drives pipelined GETs from one event loop, the way the proxy's handlers would.
import GatehouseRedis
import NIOCore

/// Keeps `window` GETs in flight from one event loop until `total` have completed.
final class LoopPump: @unchecked Sendable {
    private let client: RedisClient
    private let loop: any EventLoop
    private let total: Int
    private let window: Int
    private let done: EventLoopPromise<Void>
    private var sent = 0
    private var completed = 0

    init(client: RedisClient, loop: any EventLoop, total: Int, window: Int) {
        self.client = client
        self.loop = loop
        self.total = total
        self.window = window
        self.done = loop.makePromise()
    }

    func run() -> EventLoopFuture<Void> {
        pump()
        return done.futureResult
    }

    private func pump() {
        while sent - completed < window, sent < total {
            sent += 1
            client.get("bench", on: loop).whenComplete { result in
                self.completed += 1
                if case .failure(let error) = result {
                    self.done.fail(error)
                } else if self.completed == self.total {
                    self.done.succeed()
                } else {
                    self.pump()
                }
            }
        }
    }
}
