import ArgumentParser
import CASClient
import CASL
import CASWire
import Foundation

/// `caslite run FILE.casl`: runs a CASL script through `sccasl.runCasl`, streaming its log.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a CASL script (docs/casl.md) on the server, streaming its log; exits non-zero when it fails.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("set"), help: "Preset a script variable: name=value (JSON values such as 3, true, [1,2] are typed; others are strings). Repeatable.")
    var sets: [String] = []

    @Argument(help: "The script file.")
    var file: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let vars = try ParamSyntax.parse(sets)
        ProgressDisplay.lineBufferStandardOutput()
        Interrupts.install()
        let (conn, embedded) = try await connection.connect()
        let response = try await runScript(String(decoding: data, as: UTF8.self), vars: vars, on: conn)
        for line in Transcript.trailer(response) { print(line) }
        await conn.close()
        await embedded?.stop()
        if response.wasCancelled {
            FileHandle.standardError.write(Data("caslite: \(file) was cancelled\n".utf8))
            throw ExitCode(130)
        }
        if response.disposition.severity == .error { throw ExitCode(1) }
    }

    /// Loads `sccasl` and runs the script, printing log lines as they arrive (progress on stderr); Ctrl-C cancels it.
    func runScript(_ code: String, vars: ValueDict, on conn: CASConnection) async throws -> Response {
        let loaded = try await conn.call("builtins.loadActionSet", ["actionSet": "sccasl"])
        guard loaded.disposition.severity != .error else {
            for l in loaded.logs { print(l.formatted) }
            return loaded
        }
        let display = ProgressDisplay()
        return try await conn.callInterruptibly("sccasl.runCasl", ["code": .string(code), "vars": .dict(vars)]) { event in
            if case .log(let l) = event { display.log(Transcript.line(l)) } else { display.handle(event) }
        }
    }
}
