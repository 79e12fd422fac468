// CheckCommand: `gatehouse check` validates a config file and lists every problem.
import ArgumentParser
import GatehouseCore
import GatehouseServer

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file: exit 0 with a summary, or 1 with one line per problem."
    )

    @OptionGroup var options: ConfigPathOption

    func run() async throws {
        let path = options.resolvedPath
        let config: GatehouseConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            for issue in error.issues {
                print(issue.description)
            }
            throw ExitCode(1)
        }
        // A valid file can still fail to start: an unset secret, an unreadable key file, an
        // access log that cannot be opened, an origin host that does not resolve.
        let problems = await ConfigPreflight.issues(of: config, file: path)
        guard problems.isEmpty else {
            for issue in problems {
                print(issue.description)
            }
            throw ExitCode(1)
        }
        print("\(path): OK")
        for warning in ConfigPreflight.warnings(of: config) {
            print("warning: \(warning)")
        }
        print(config.summary)
    }
}
