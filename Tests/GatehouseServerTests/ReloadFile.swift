// ReloadFile: a proxy started from a config file, for tests that rewrite the file and reload.
import Foundation
import GatehouseTesting

/// A proxy started from a config file (the one its reloads re-read) in front of one upstream.
enum ReloadFile {
    /// The proxy, the file (the caller removes it) and the file's text.
    static func start(before upstream: TestUpstreamServer) async throws -> (ProxyHarness, URL, String) {
        let file = path()
        let text = text(server: "http://127.0.0.1:\(upstream.port)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (try await ProxyHarness.start(upstreamPorts: [upstream.port], configPath: file.path), file, text)
    }

    /// A new file's place in the temporary directory (nothing is written; the caller removes it).
    static func path() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString).conf")
    }

    /// A config with listeners on port 0, no access log and the one upstream `server`
    /// ("http://host:port"), then `upstreamLines` (indented YAML) in its upstream section.
    static func text(server: String, upstreamLines: String = "") -> String {
        """
        server:
          listen: "127.0.0.1:0"
          admin_listen: "127.0.0.1:0"
          access_log: off
        upstream:
          servers: ["\(server)"]
        """ + (upstreamLines.isEmpty ? "" : "\n" + upstreamLines)
    }
}
