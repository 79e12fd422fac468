// demo-api: runs the sample REST API that Gatehouse is demonstrated, tested and benchmarked against.
import ArgumentParser
import DemoAPI
import Dispatch
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct DemoAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-api",
        abstract: "Serve the demo REST API (users, health, and test endpoints) until SIGTERM or SIGINT."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 3000

    @Option(help: "Seconds of freshness on cacheable GET answers; 0 sends Cache-Control: no-store.")
    var maxAge = 30

    @Option(help: "Number of users created at start.")
    var seed = 142

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int?

    func validate() throws {
        guard (0...65_535).contains(self.port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard self.maxAge >= 0 else { throw ValidationError("--max-age must not be negative") }
        guard (0...10_000_000).contains(self.seed) else { throw ValidationError("--seed must be between 0 and 10000000") }
        if let threads = self.threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads ?? System.coreCount)
        let server = DemoAPIServer(
            configuration: DemoAPIConfiguration(maxAge: self.maxAge, seedUsers: self.seed),
            eventLoopGroup: group
        )
        // Installed before binding, so a signal that arrives early still shuts down cleanly.
        let signals = SignalWaiter(signals: [SIGTERM, SIGINT])
        let port: Int
        do {
            port = try await server.start(host: self.host, port: self.port)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        // An IPv6 literal needs brackets to be part of a URL.
        let urlHost = self.host.contains(":") ? "[\(self.host)]" : self.host
        print("demo-api listening on http://\(urlHost):\(port)")
        fflush(stdout)
        await signals.wait()
        try await server.shutdown()
        try await group.shutdownGracefully()
    }
}

/// Turns the first of `signals` into the end of an `await`, via Dispatch rather than a C handler.
final class SignalWaiter: @unchecked Sendable {
    // Written once in init and only read afterwards; the sources must stay alive to fire.
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.sources = signals.map { number in
            // The default action would kill the process before the handler runs.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func wait() async {
        for await _ in self.stream { return }
    }
}

// Parsed and run by hand: in main.swift the synchronous `main()` overload would win over the async one.
let command = DemoAPICommand.parseOrExit()
do {
    try await command.run()
} catch {
    DemoAPICommand.exit(withError: error)
}
