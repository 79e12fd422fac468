// GatehouseInstance: a real `gatehouse run` process on free ports with a config written for the test.
import Foundation
import GatehouseTesting

/// One gatehouse process; `extraConfig` is appended to a config that sets the listeners and the upstream.
struct GatehouseInstance {
    let process: ChildProcess
    let port: Int
    let adminPort: Int
    let configFile: URL

    /// `serverConfig` and `upstreamConfig` lines go into those sections (indented two spaces);
    /// `extraConfig` is appended as further top-level sections.
    static func start(
        upstreamPort: Int, serverConfig: String = "", upstreamConfig: String = "", extraConfig: String = ""
    ) async throws -> GatehouseInstance {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-\(UUID().uuidString).conf")
        try """
        server:
          listen: "127.0.0.1:0"
          admin_listen: "127.0.0.1:0"
          access_log: off
        \(serverConfig)
        upstream:
          servers: ["http://127.0.0.1:\(upstreamPort)"]
        \(upstreamConfig)
        \(extraConfig)
        """.write(to: file, atomically: true, encoding: .utf8)
        let process = ChildProcess(BuiltProducts.gatehouse, ["run", "--config", file.path])
        try process.start()
        // Port 0: the kernel picks free ports (no race with parallel tests); the startup lines say which.
        guard await process.waitForOutput(containing: "listener=admin"),
              let port = boundPort(of: "proxy", in: process.capturedOutput),
              let adminPort = boundPort(of: "admin", in: process.capturedOutput)
        else {
            throw InstanceError.didNotStart(process.capturedOutput)
        }
        return GatehouseInstance(process: process, port: port, adminPort: adminPort, configFile: file)
    }

    /// The port in a startup line `address=127.0.0.1:PORT listener=NAME`.
    static func boundPort(of listener: String, in output: String) -> Int? {
        for line in output.split(separator: "\n") where line.contains("listener=\(listener)") {
            guard let range = line.range(of: "address=") else { continue }
            let address = line[range.upperBound...].prefix { $0 != " " }
            return address.split(separator: ":").last.flatMap { Int($0) }
        }
        return nil
    }

    /// SIGTERM, and the exit status (nil if it did not exit in time).
    func stop() async -> Int32? {
        process.signal(SIGTERM)
        defer { try? FileManager.default.removeItem(at: configFile) }
        return await process.waitForExit(timeout: .seconds(30))
    }

    enum InstanceError: Error {
        case didNotStart(String)
    }
}
