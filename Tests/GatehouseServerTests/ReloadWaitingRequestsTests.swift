// ReloadWaitingRequestsTests: requests started before a reload that moved `upstream:` still reach their origin.
import Foundation
import GatehouseCore
import GatehouseTesting
import Testing

@Suite struct ReloadWaitingRequestsTests {
    /// A request that needs an upstream connection after a reload moved `upstream:` elsewhere
    /// gets one from the config it started under (the old pools keep nothing idle, but still
    /// connect): here a single-flight follower whose leader's response turned out uncacheable.
    /// The origin holds the leader's answer until the reload is done.
    @Test func aFollowerWokenAfterAReloadStillReachesItsOrigin() async throws {
        let first = FirstCallFlag()
        let gate = TestGate()
        let old = try await TestUpstreamServer.start(behaviour: { _ in
            let answer = TestUpstreamBehaviour.respond(headers: [("Cache-Control", "no-store")], body: Array("old".utf8))
            return first.take() ? .gated(gate, then: answer) : answer
        })
        let new = try await TestUpstreamServer.start(behaviour: { _ in .respond(body: Array("new".utf8)) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-wait-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        let config = { (port: Int) in
            """
            server:
              listen: "127.0.0.1:0"
              admin_listen: "127.0.0.1:0"
              access_log: off
            upstream:
              servers: ["http://127.0.0.1:\(port)"]
            """
        }
        try config(old.port).write(to: file, atomically: true, encoding: .utf8)
        let proxy = try await ProxyHarness.start(upstreamPorts: [old.port], configPath: file.path)
        async let leader = TestHTTPClient.request(port: proxy.port, "GET", "/hot")
        #expect(await old.waitForRequests(1))
        async let follower = TestHTTPClient.request(port: proxy.port, "GET", "/hot")
        let joined = try await proxy.waitForFollowers(1)
        try config(new.port).write(to: file, atomically: true, encoding: .utf8)
        let reloaded = await proxy.server.reload()
        gate.open()
        #expect(joined, "the second request waits on the first one's fetch")
        #expect(reloaded)
        #expect(try await leader.bodyString == "old")
        let waited = try await follower
        #expect(waited.status == 200)
        #expect(waited.bodyString == "old")
        // New requests go to the new origin.
        #expect(try await TestHTTPClient.request(port: proxy.port, "GET", "/other").bodyString == "new")
        try await proxy.stop()
        try await old.shutdown()
        try await new.shutdown()
    }
}
