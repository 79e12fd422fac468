// gatehouse: the command line — `gatehouse run | check | version`.
import ArgumentParser

/// The `gatehouse` command; `run` is the default subcommand.
@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "A caching, rate-limiting HTTP reverse proxy.",
        version: GatehouseVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, VersionCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
