import ArgumentParser
import Foundation

/// `caslite config check FILE` and `caslite config keys`: the configuration file of `caslite serve`
/// (docs/operations.md "Configuration").
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration file of `caslite serve`, or list its keys.",
        subcommands: [Check.self, Keys.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file: syntax, known keys, types and ranges; each problem names the key and its line. Exits 1 on a problem.")

        @Argument(help: "The TOML file (e.g. /etc/caslite/caslite.toml).")
        var file: String

        func run() throws {
            var settings = ServeSettings()
            do {
                try ServeConfigFile.load(file, into: &settings)
                try settings.check()
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
            print("\(file): ok (\(settings.origin.count) keys)")
        }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys a configuration file may hold.")

        func run() {
            for key in ServeConfigFile.keys { print("\(key.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(key.type): \(key.help)") }
        }
    }
}
