import ArgumentParser
import CASClient
import CASCore
import CASServer
import CASStandardSets
import CASWire
import Foundation

/// `caslite help [NAME]`: a subcommand (`call`), an action set (`table`, or a user-defined one), or an action
/// (`table.fetch`, `fetch`). The standard sets are described from the registry, no server needed; user-defined
/// sets live in a server's data, so those are asked of `--server` or of an embedded server over `--data`.
struct HelpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "help", abstract: "Describe subcommands, action sets and actions.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "A subcommand (call), an action set (table) or an action (table.fetch).")
    var name: String?

    /// `caslite help groups add`: a subcommand of a subcommand (what ArgumentParser's own help texts point to).
    @Argument(help: .hidden)
    var nested: [String] = []

    static var subcommands: [any ParsableCommand.Type] { Caslite.configuration.subcommands }

    func run() async throws {
        let reg = try StandardRegistry.make()
        guard let name else { return Self.overview(reg) }
        if var sub = Self.subcommands.first(where: { $0._commandName == name.lowercased() }) {
            for word in nested {
                guard let inner = sub.configuration.subcommands.first(where: { $0._commandName == word.lowercased() }) else {
                    throw ValidationError("'\(name)' has no subcommand '\(word)'; `caslite help \(name)` lists them.")
                }
                sub = inner
            }
            print(Caslite.helpMessage(for: sub), terminator: "")
            return
        }
        if let set = reg.set(name) {
            print("action set \(set.name): \(set.summary)")
            let width = set.actions.map(\.name.count).max() ?? 0
            for a in set.actions where !a.hidden { print("  \(a.name.rightPad(width))  \(a.summary)") }
            print("\nRun `caslite help \(set.name).ACTION` for an action's parameters.")
            return
        }
        if let entry = try? reg.resolve(name, loaded: Set(reg.sets.map { $0.name.lowercased() })) {
            for l in Reflect.helpLines(entry) { print(l) }
            return
        }
        if let r = try await askServer(name) { return Printer.printHelp(r) }
        let candidates = Self.subcommands.map { $0._commandName } + reg.sets.map(\.name)
            + reg.sets.flatMap { s in s.actions.filter { !$0.hidden }.flatMap { ["\(s.name).\($0.name)", $0.name] } }
        let message = NearMiss.withSuggestion("'\(name)' is not a subcommand, an action set or an action.", for: name, among: candidates)
        FileHandle.standardError.write(Data("caslite help: \(message) Run `caslite help` for the list.\n".utf8))
        throw ExitCode(1)
    }

    /// Subcommands, then action sets, each in one aligned column.
    static func overview(_ reg: Registry) {
        let subs = subcommands.map { ($0._commandName, $0.configuration.abstract) }
        let sets = reg.sets.map { ($0.name, $0.summary) }
        let width = (subs + sets).map(\.0.count).max() ?? 0
        print("Subcommands:")
        for (n, s) in subs { print("  \(n.rightPad(width))  \(s)") }
        print("\nAction sets (load one in a session with builtins.loadActionSet; builtins, session, sessionProp and table always are):")
        for (n, s) in sets { print("  \(n.rightPad(width))  \(s)") }
        print("\nRun `caslite help SUBCOMMAND`, `caslite help SET` or `caslite help SET.ACTION` for details.")
    }

    /// `builtins.help` for `name` (nil: the loaded sets): an action set, else an action (`set.action` or bare).
    static func describe(_ name: String?, on conn: CASConnection) async throws -> Response {
        guard let name else { return try await conn.call("builtins.help") }
        // help describes the sets loaded in the session (as CAS): load the one named first (a private session)
        let setName = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        _ = try? await conn.call("builtins.loadActionSet", ["actionSet": .string(setName)])
        if !name.contains(".") {
            let set = try await conn.call("builtins.help", ["actionSet": .string(name)])
            if set.disposition.severity != .error { return set }
        }
        return try await conn.call("builtins.help", ["action": .string(name)])
    }

    /// User-defined sets and actions: `builtins.help` on the server (`--server`, or the embedded one when its data
    /// folder exists). Nil when there is no server to ask or it does not know the name either.
    func askServer(_ name: String) async throws -> Response? {
        guard connection.server != nil || FileManager.default.fileExists(atPath: connection.data) else { return nil }
        let (conn, embedded) = try await connection.connect()
        let r = try await Self.describe(name, on: conn)
        if connection.server != nil { _ = try? await conn.call("session.endSession") }
        await conn.close()
        await embedded?.stop()
        return r.disposition.severity == .error ? nil : r
    }
}
