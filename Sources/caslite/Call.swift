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
        let (conn, embedded) = try await connection.connect()
        let response = try await conn.call(action, p) { event in
            if !json, case .log(let l) = event { Swift.print(l.formatted) }
            if !json, case .progress(let pr) = event { FileHandle.standardError.write(Data("progress: \(pr.done)/\(pr.total) \(pr.unit) \(pr.message)\n".utf8)) }
        }
        if json { Swift.print(response.value.jsonString) } else { Printer.print(response, logsAlreadyShown: true) }
        if let out { try ImageFiles.write(response.results, to: out) }
        await conn.close()
        await embedded?.stop()
        if response.disposition.severity == .error { throw ExitCode(1) }
    }
}
