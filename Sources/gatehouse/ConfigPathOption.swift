// ConfigPathOption: the shared `--config FILE` option and its default lookup.
import ArgumentParser
import Foundation

/// `--config FILE`; defaults to ./proxy.conf, then ./proxy.conf.example (DESIGN.md §4).
struct ConfigPathOption: ParsableArguments {
    @Option(name: [.short, .long], help: "Config file (default: ./proxy.conf, then ./proxy.conf.example).")
    var config: String?

    var resolvedPath: String {
        if let config { return config }
        if FileManager.default.fileExists(atPath: "proxy.conf") { return "proxy.conf" }
        return "proxy.conf.example"
    }
}
