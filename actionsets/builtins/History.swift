import CASCore
import CASWire

/// `builtins.history`: the actions this session ran, oldest first (the last 1 000 are kept), as NOTE
/// lines like CAS's and as the `History` table.
struct History: Action {
    static let name = "history"
    static let summary = "Shows the actions that were run in this session."
    static let first = P.int("first", "Number of the first entry to show.", default: 1, min: 1)
    static let last = P.int("last", "Number of the last entry to show; -1 for the most recent.", default: -1, min: -1)
    static let verbose = P.bool("verbose", "Also show each call's parameters in the log.", default: false)
    static let parameters = [first.spec, last.spec, verbose.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lastWanted = args[last] < 0 ? Int.max : args[last]
        let shown = await ctx.session.history.filter { $0.number >= args[first] && $0.number <= lastWanted }
        for h in shown {
            ctx.note("\(h.number): action \(h.action);\(args[verbose] && !h.parameters.isEmpty ? " " + h.parameters + ";" : "") /* (\(status(h.severity))) */")
        }
        let rows: [[Value]] = shown.map { h in
            [.int(Int64(h.number)), .string(h.action), .string(h.parameters), .string(h.severity.rawValue), .double(h.elapsed)]
        }
        return ["History": .table(.result("History", label: "Actions run in this session", columns: [
            ("Number", .int64), ("Action", .varchar), ("Parameters", .varchar), ("Severity", .varchar), ("ElapsedTime", .double),
        ], rows: rows))]
    }

    static func status(_ s: Severity) -> String {
        switch s {
        case .normal: "SUCCESS"
        case .warning: "WARNING"
        case .error: "FAILED"
        }
    }
}
