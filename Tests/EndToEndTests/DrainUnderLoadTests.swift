// DrainUnderLoadTests: SIGTERM while keep-alive clients hammer and a slow request is in flight —
// nothing in flight fails, and the process exits 0.
import Foundation
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct DrainUnderLoadTests {
    /// The origin holds /slow's answer until the drain has ended every keep-alive client, so it
    /// is in flight all through the drain however slowly a loaded machine gets there.
    @Test func sigtermLosesNothingInFlight() async throws {
        let gate = TestGate()
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            request.uri == "/slow"
                ? .gated(gate, then: .respond(body: Array("slow".utf8)))
                : .respond(body: Array("fast".utf8))
        })
        let gatehouse = try await GatehouseInstance.start(upstreamPort: upstream.port, serverConfig: "  drain_timeout: 20s")
        let proxyPort = gatehouse.port

        let served = NIOLockedValueBox(0)
        let failed = NIOLockedValueBox<[String]>([])
        // Keep-alive clients send until the server ends their connection: after a response
        // marked `Connection: close`, or by closing it while idle (the request then never reached
        // the proxy, which a client retries on a new connection — refused once draining).
        let hammer: @Sendable () async -> Void = {
            guard let client = try? await TestHTTPClient.connect(port: proxyPort) else { return }
            for _ in 0..<2_000 {
                do {
                    let response = try await client.send("GET", "/fast", timeout: .seconds(20))
                    if response.status != 200 || response.bodyString != "fast" {
                        failed.withLockedValue { $0.append("status \(response.status)") }
                    }
                    served.withLockedValue { $0 += 1 }
                    if response.header("connection") == "close" { break }
                } catch TestHTTPClientError.connectionClosed {
                    break
                } catch {
                    failed.withLockedValue { $0.append("\(error)") }
                    break
                }
            }
            try? await client.close()
        }
        // /slow first, so it is in flight before the load and the SIGTERM.
        let slowClient = try await TestHTTPClient.connect(port: proxyPort)
        async let slow = slowClient.send("GET", "/slow", timeout: .seconds(20))
        #expect(await upstream.waitForRequests(1))
        async let hammers: Void = withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await hammer() } }
        }
        #expect(await upstream.waitForRequests(21))
        gatehouse.process.signal(SIGTERM)

        await hammers
        gate.open()
        let slowResponse = try await slow
        #expect(slowResponse.status == 200)
        #expect(slowResponse.bodyString == "slow")
        #expect(await gatehouse.process.waitForExit(timeout: .seconds(30)) == 0)
        #expect(failed.withLockedValue { $0 }.isEmpty)
        #expect(served.withLockedValue { $0 } > 10)
        try await upstream.shutdown()
    }
}
