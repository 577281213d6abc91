import ArgumentParser
import CASCore
import CASServer
import CASStandardSets

/// `caslite help [set | set.action]` — from the registry, no server needed.
struct HelpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "help", abstract: "Describe action sets and actions.")

    @Argument(help: "An action set or set.action.")
    var name: String?

    func run() throws {
        let reg = try StandardRegistry.make()
        guard let name else {
            for s in reg.sets { print("\(s.name.rightPad(12)) \(s.summary)") }
            print("\nRun `caslite help SET` or `caslite help SET.ACTION` for details.")
            return
        }
        if let set = reg.set(name) {
            print("\(set.name): \(set.summary)")
            for a in set.actions where !a.hidden { print("  \(a.name.rightPad(20)) \(a.summary)") }
            return
        }
        let entry = try reg.resolve(name, loaded: Set(reg.sets.map { $0.name.lowercased() }))
        for l in Reflect.helpLines(entry) { print(l) }
    }
}
