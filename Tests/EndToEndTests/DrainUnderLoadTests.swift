// DrainUnderLoadTests: SIGTERM while keep-alive clients hammer and a slow request is in flight —
// nothing in flight fails, and the process exits 0.
import Foundation
import GatehouseTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite struct DrainUnderLoadTests {
    @Test func sigtermLosesNothingInFlight() async throws {
        let upstream = try await TestUpstreamServer.start(behaviour: { request in
            request.uri == "/slow"
                ? .delay(.milliseconds(1500), then: .respond(body: Array("slow".utf8)))
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
        async let hammers: Void = withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await hammer() } }
        }
        let slowClient = try await TestHTTPClient.connect(port: proxyPort)
        async let slow = slowClient.send("GET", "/slow", timeout: .seconds(20))
        #expect(await upstream.waitForRequests(20))
        gatehouse.process.signal(SIGTERM)

        let slowResponse = try await slow
        #expect(slowResponse.status == 200)
        #expect(slowResponse.bodyString == "slow")
        await hammers
        #expect(await gatehouse.process.waitForExit(timeout: .seconds(30)) == 0)
        #expect(failed.withLockedValue { $0 }.isEmpty)
        #expect(served.withLockedValue { $0 } > 10)
        try await upstream.shutdown()
    }
}
