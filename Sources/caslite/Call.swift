import ArgumentParser
import CASClient
import CASWire
import Foundation

/// `caslite call ACTION key=value …`
struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Call one action and print its log, results and disposition.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "All parameters as one JSON object (merged under key=value words).")
    var params: String?

    @Flag(name: .long, help: "Print the raw response as JSON.")
    var json = false

    @Option(name: .long, help: "Write every image cell of the result tables (varbinary columns whose MIMEType is image/…) to DIR/<label>/<id>.<ext>.")
    var out: String?

    @Flag(name: .long, help: "With --server: keep the session when done (its id is printed; re-attach with --session). Otherwise a new session is ended.")
    var keepSession = false

    @Argument(help: "The action, e.g. table.fetch.")
    var action: String

    @Argument(help: "Parameters as key=value; nested keys with dots (casOut.name=x); lists and objects as JSON.")
    var words: [String] = []

    func run() async throws {
        var p = ValueDict()
        if let params {
            guard case .dict(let d) = try JSONParser.parse(params) else { throw ValidationError("--params must be a JSON object") }
            p = d
        }
        for (k, v) in try ParamSyntax.parse(words) { p[k] = v }
        ProgressDisplay.lineBufferStandardOutput()
        Interrupts.install()
        let (conn, embedded) = try await connection.connect()
        let display = ProgressDisplay()
        let response = try await conn.callInterruptibly(action, p) { event in if !json { display.handle(event) } }
        if json { Swift.print(response.value.jsonString) } else { Printer.print(response, logsAlreadyShown: true) }
        if let out { try ImageFiles.write(response.results, to: out) }
        await finishSession(conn)
        await conn.close()
        await embedded?.stop()
        if response.wasCancelled {
            FileHandle.standardError.write(Data("caslite: \(action) was cancelled\n".utf8))
            throw ExitCode(130)
        }
        if response.disposition.severity == .error { throw ExitCode(1) }
    }

    /// A one-shot call on a shared server ends the session it opened (its tables go with it), unless
    /// `--keep-session`; a session re-attached with `--session` is left as it was.
    func finishSession(_ conn: CASConnection) async {
        guard connection.server != nil, connection.session == nil else { return }
        if keepSession {
            FileHandle.standardError.write(Data("caslite: kept session \(conn.sessionId); re-attach with --session \(conn.sessionId)\n".utf8))
        } else {
            _ = try? await conn.call("session.endSession")
        }
    }

    func validate() throws {
        if keepSession && connection.server == nil {
            throw ValidationError("--keep-session needs --server HOST:PORT (the embedded server ends with the call)")
        }
    }
}
