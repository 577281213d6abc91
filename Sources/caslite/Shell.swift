import ArgumentParser
import CASClient
import CASStandardSets
import CASWire
import Foundation

/// `caslite shell`: an interactive prompt with the same syntax as `call`. On a terminal: line editing,
/// history in `~/.caslite_history`, Tab completion (``LineEditor``); Ctrl-C cancels the running call and
/// keeps the session. Piped input runs as a script that fails as a whole when one of its calls failed.
struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Interactive shell: type `ACTION key=value …`, `help [NAME]`, `history` or `quit`.")

    @OptionGroup var connection: ConnectionOptions

    static let standardSets = (try? StandardRegistry.make().sets) ?? []

    static var historyFile: String {
        ProcessInfo.processInfo.environment["CASLITE_HISTORY"] ?? ((ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.caslite_history")
    }

    func run() async throws {
        ProgressDisplay.lineBufferStandardOutput()
        let (conn, embedded) = try await connection.connect()  // Ctrl-C here ends the process, as it always did
        Interrupts.install(idle: {})  // between calls a single Ctrl-C has nothing to stop; two within a second leave
        let interactive = isatty(0) != 0
        let editor = interactive ? LineEditor(historyFile: Self.historyFile) : nil
        if let editor { await refreshCompletion(conn, editor) }
        print("caslite shell — session \(conn.sessionId) as \(conn.user). Type help, history or quit\(interactive ? "; Tab completes, Ctrl-C cancels a call" : "").")
        var failures = 0
        var history: [String] = []
        loop: while true {
            let line: String
            if let editor {
                switch await editor.read(prompt: "caslite> ") {
                case .end: print(""); break loop
                case .interrupted: continue
                case .line(let l): line = l
                }
            } else {
                guard let l = readLine() else { break }
                line = l
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if !interactive { print("\ncaslite> \(trimmed)") }
            history.append(trimmed)
            editor?.remember(trimmed)
            let words = ParamSyntax.words(trimmed)
            switch words[0].lowercased() {
            case "quit", "exit": break loop
            case "history": for (i, h) in history.enumerated() { print("\(i + 1)  \(h)") }; continue
            case "help":
                Printer.printHelp(try await HelpCommand.describe(words.count > 1 ? words[1] : nil, on: conn))
                continue
            default: break
            }
            do {
                let params = try ParamSyntax.parse(Array(words.dropFirst()))
                let display = ProgressDisplay()
                let r = try await conn.callInterruptibly(words[0], params) { display.handle($0) }
                Printer.print(r, logsAlreadyShown: true)
                if r.wasCancelled { print("cancelled \(words[0]); session \(conn.sessionId) kept") }
                if r.disposition.severity == .error { failures += 1 }
                if let editor, r.disposition.severity != .error { await refreshCompletion(conn, editor) }
            } catch {
                print("error: \(error)")
                failures += 1
            }
        }
        await conn.close()
        await embedded?.stop()
        // A script piped into the shell fails as a whole when one of its calls failed.
        if !interactive && failures > 0 { throw ExitCode(1) }
    }

    /// Tab's candidates: the actions and parameters of the standard sets and of the session's loaded sets, and the
    /// tables of the session's caslibs.
    func refreshCompletion(_ conn: CASConnection, _ editor: LineEditor) async {
        var tables: [String] = []
        if let libs = try? await conn.call("table.caslibInfo"), let t = libs.results["CASLibInfo"]?.tableValue, let names = t.column("Name") {
            for r in 0..<t.rowCount {
                guard case .string(let lib) = names.data.value(at: r),
                      let info = try? await conn.call("table.tableInfo", ["caslib": .string(lib)]),
                      let ti = info.results["TableInfo"]?.tableValue, let col = ti.column("Name") else { continue }
                for i in 0..<ti.rowCount { if case .string(let n) = col.data.value(at: i) { tables.append(n.lowercased()) } }
            }
        }
        var completion = Completion(sets: Self.standardSets, tables: Array(Set(tables)).sorted())
        if let reflected = try? await conn.call("builtins.reflect"), reflected.disposition.severity != .error {
            completion.add(reflected: reflected.results)  // user-defined sets, and what a newer server has
        }
        LineEditor.completion.withLock { $0 = completion }
    }
}
