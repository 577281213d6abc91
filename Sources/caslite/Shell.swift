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
        print("caslite shell — session \(conn.sessionId) as \(conn.user). Type help, history or quit.")
        var history: [String] = []
        let historyFile = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.caslite_history"
        while true {
            print("caslite> ", terminator: "")
            FileHandle.standardOutput.synchronizeFile()
            guard let line = readLine() else { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            history.append(trimmed)
            if let h = try? FileHandle(forWritingTo: URL(fileURLWithPath: historyFile)) {
                h.seekToEndOfFile(); h.write(Data((trimmed + "\n").utf8)); try? h.close()
            } else {
                FileManager.default.createFile(atPath: historyFile, contents: Data((trimmed + "\n").utf8))
            }
            let words = ParamSyntax.words(trimmed)
            switch words[0].lowercased() {
            case "quit", "exit": await conn.close(); await embedded?.stop(); return
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
            } catch {
                print("error: \(error)")
            }
        }
        await conn.close()
        await embedded?.stop()
    }
}
