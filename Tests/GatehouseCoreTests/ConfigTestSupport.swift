// ConfigTestSupport: parses config text in tests and returns the config or the issue lines.

@testable import GatehouseCore

/// Config text helpers shared by the loader tests.
enum ConfigTestSupport {
    /// The line that makes a file valid on its own; error tests add the line under test to it.
    static let upstreamLine = #"upstream: {servers: ["http://127.0.0.1:3000"]}"#

    /// Every issue in `yaml` as `gatehouse check` prints it; empty when the file is valid.
    static func issues(_ yaml: String, file: String = "proxy.conf") -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: file)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }
}
