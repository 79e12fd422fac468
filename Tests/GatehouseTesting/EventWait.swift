// Awaiting NIO events with a deadline, so a broken peer fails a test instead of hanging it.
import NIOCore

enum EventWait {
    /// True if `future` completes (either way) within `timeout`, false otherwise.
    static func completes(_ future: EventLoopFuture<Void>, within timeout: TimeAmount) async -> Bool {
        let loop = future.eventLoop
        let promise = loop.makePromise(of: Bool.self)
        let timer = loop.scheduleTask(in: timeout) { promise.succeed(false) }
        future.whenComplete { _ in
            timer.cancel()
            promise.succeed(true)
        }
        return (try? await promise.futureResult.get()) ?? false
    }

    /// True if `future` completes before `deadline`.
    static func completes(_ future: EventLoopFuture<Void>, before deadline: NIODeadline) async -> Bool {
        await Self.completes(future, within: deadline - .now())
    }

    /// Closes `channel`, treating "already closed" as success: tests close in cleanup paths where
    /// the peer may have closed first.
    static func close(_ channel: any Channel) async throws {
        do {
            try await channel.close()
        } catch ChannelError.alreadyClosed {
            return
        }
    }
}
