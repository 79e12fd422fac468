// BuiltProducts: where the test run finds the gatehouse and demo-api executables.
import Foundation

/// The build products directory: the test bundle sits in it beside the executables.
enum BuiltProducts {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["GATEHOUSE_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On Linux the test binary is .build/debug/GatehousePackageTests.xctest (a file);
        // elsewhere it may be nested inside a bundle.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gatehouse").path),
              directory.path != "/"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }

    static var gatehouse: URL { directory.appendingPathComponent("gatehouse") }
    static var demoAPI: URL { directory.appendingPathComponent("demo-api") }

    /// The package root, for proxy.conf.example.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
