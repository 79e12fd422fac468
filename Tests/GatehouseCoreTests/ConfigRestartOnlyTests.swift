// ConfigRestartOnlyTests: a reload keeps the listeners and threads the server runs with, and names what it kept.
import Testing
import GatehouseCore

@Suite struct ConfigRestartOnlyTests {
    private func config(listen: Int, admin: Int, threads: Int?) -> GatehouseConfig {
        var config = GatehouseConfig(upstream: UpstreamConfig(servers: [UpstreamServerAddress(host: "127.0.0.1", port: 3000)]))
        config.server.listen = ListenAddress(host: "0.0.0.0", port: listen)
        config.server.adminListen = ListenAddress(host: "127.0.0.1", port: admin)
        config.server.threads = threads
        return config
    }

    @Test func aReloadKeepsTheRunningListenersAndThreadsAndAppliesTheRest() {
        let running = config(listen: 8080, admin: 9901, threads: nil)
        var file = config(listen: 8081, admin: 9902, threads: 4)
        file.server.maxConnections = 77
        let applied = file.applyingReload(over: running)
        #expect(applied.server.listen == running.server.listen)
        #expect(applied.server.adminListen == running.server.adminListen)
        #expect(applied.server.threads == nil)
        #expect(applied.server.maxConnections == 77)
        #expect(applied.summary.contains("listen 0.0.0.0:8080"))
    }

    @Test func theChangesKeptForARestartAreNamedWithBothValues() {
        let running = config(listen: 8080, admin: 9901, threads: nil)
        #expect(config(listen: 8080, admin: 9901, threads: nil).restartOnlyChanges(from: running).isEmpty)
        #expect(config(listen: 8081, admin: 9902, threads: 4).restartOnlyChanges(from: running) == [
            "server.listen: 0.0.0.0:8080 -> 0.0.0.0:8081",
            "server.admin_listen: 127.0.0.1:9901 -> 127.0.0.1:9902",
            "server.threads: auto -> 4",
        ])
    }
}
