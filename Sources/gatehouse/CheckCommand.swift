// CheckCommand: `gatehouse check` validates a config file and lists every problem.
import ArgumentParser
import GatehouseCore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file: exit 0 with a summary, or 1 with one line per problem."
    )

    @OptionGroup var options: ConfigPathOption

    func run() throws {
        let path = options.resolvedPath
        do {
            let config = try ConfigLoader.load(path: path)
            print("\(path): OK")
            print(config.summary)
        } catch {
            for issue in error.issues {
                print(issue.description)
            }
            throw ExitCode(1)
        }
    }
}
