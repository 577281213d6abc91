import ArgumentParser
import CASClient
import CASWire
import Foundation

/// `caslite shell`: an interactive prompt with the same syntax as `call`.
struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Interactive shell: type `ACTION key=value …`, `help`, `history` or `quit`.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let (conn, embedded) = try await connection.connect()
        let interactive = isatty(0) != 0
        print("caslite shell — session \(conn.sessionId) as \(conn.user). Type help, history or quit.")
        var failures = 0
        var history: [String] = []
        let historyFile = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.caslite_history"
        while true {
            if interactive {
                print("caslite> ", terminator: "")
                FileHandle.standardOutput.synchronizeFile()
            }
            guard let line = readLine() else { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if !interactive { print("\ncaslite> \(trimmed)") }
            history.append(trimmed)
            if let h = try? FileHandle(forWritingTo: URL(fileURLWithPath: historyFile)) {
                h.seekToEndOfFile(); h.write(Data((trimmed + "\n").utf8)); try? h.close()
            } else {
                FileManager.default.createFile(atPath: historyFile, contents: Data((trimmed + "\n").utf8))
            }
            let words = ParamSyntax.words(trimmed)
            switch words[0].lowercased() {
            case "quit", "exit": await conn.close(); await embedded?.stop(); if !interactive && failures > 0 { throw ExitCode(1) }; return
            case "history": for (i, h) in history.enumerated() { print("\(i + 1)  \(h)") }; continue
            case "help":
                let r = try await conn.call("builtins.help", words.count > 1 ? ["action": .string(words[1])] : ValueDict())
                Printer.print(r, logsAlreadyShown: false)
                continue
            default: break
            }
            do {
                let params = try ParamSyntax.parse(Array(words.dropFirst()))
                let r = try await conn.call(words[0], params) { e in if case .log(let l) = e { print(l.formatted) } }
                Printer.print(r, logsAlreadyShown: true)
                if r.disposition.severity == .error { failures += 1 }
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
}
