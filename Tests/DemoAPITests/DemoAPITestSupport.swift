// Starts a DemoAPIServer for one test and hands it a connected client.
import DemoAPI
import NIOPosix

/// Runs `body` against a fresh server on an ephemeral port; shuts it down whatever happens.
func withDemoAPI<T>(
    _ configuration: DemoAPIConfiguration = DemoAPIConfiguration(),
    _ body: (_ client: TestHTTPClient, _ port: Int) async throws -> T
) async throws -> T {
    let server = DemoAPIServer(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    let port = try await server.start(host: "127.0.0.1", port: 0)
    let client: TestHTTPClient
    do {
        client = try await TestHTTPClient.connect(port: port)
    } catch {
        try? await server.shutdown()
        throw error
    }
    do {
        let result = try await body(client, port)
        await client.close()
        try await server.shutdown()
        return result
    } catch {
        await client.close()
        try? await server.shutdown()
        throw error
    }
}
