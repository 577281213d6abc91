import CASWire
import Foundation

extension Interpreter {
    /// Runs an action call statement. With `result=` the results go to that variable, otherwise they
    /// are printed. With `status=` a failure is left to the script; without, it stops the script.
    func runAction(_ call: ActionCall) async throws(CASLError) {
        var params = ValueDict()
        for p in call.parameters { params.appendUnchecked(p.key, try await eval(p.value)) }
        let response = await host.callAction(call.name, params)
        if host.isCancelled { throw CASLError(.cancelled, "the script was cancelled", at: call.pos) }
        if let r = call.result { try assign(r, .dict(response.results), at: call.pos) }
        if let s = call.status { try assign(s, .dict(Self.status(response.disposition)), at: call.pos) }
        if call.status == nil, response.disposition.severity == .error {
            throw .runtime("action \(call.name) failed: \(Self.failure(response, call.name))", at: call.pos)
        }
        if call.result == nil, !response.results.isEmpty {
            var f = ValueFormatter(limit: limits.maxOutput)
            for (k, (key, v)) in response.results.enumerated() {
                if k > 0 { f.append("\n") }
                if case .table = v { f.display(v) } else { f.append(key + ": "); f.literal(v) }
            }
            for line in f.text.split(separator: "\n", omittingEmptySubsequences: false) { host.output(String(line)) }
        }
    }

    /// The `status=` dictionary: `severity` (0, 1, 2), `reason`, `status` (text), `statusCode`.
    static func status(_ d: Disposition) -> ValueDict {
        ["severity": .int(Int64(d.severity.code)), "reason": .string(d.reason), "status": .string(d.formattedStatus), "statusCode": .int(d.statusCode)]
    }

    /// The first ERROR line of a failed response, else its status text.
    static func failure(_ r: Response, _ action: String) -> String {
        if var line = r.logs.first(where: { $0.level == .error })?.message {
            if let colon = line.range(of: ": "), line[..<colon.lowerBound].lowercased().hasSuffix(action.lowercased()) {
                line = String(line[colon.upperBound...])
            }
            return line
        }
        return r.disposition.formattedStatus.isEmpty ? r.disposition.reason : r.disposition.formattedStatus
    }

    /// `loadactionset "name";` runs `builtins.loadActionSet`.
    func loadActionSet(_ v: Value, at pos: SourcePos) async throws(CASLError) {
        guard let name = v.stringValue else { throw .runtime("loadactionset needs a string, got \(Operators.article(v))", at: pos) }
        let r = await host.callAction("builtins.loadActionSet", ["actionSet": .string(name)])
        if r.disposition.severity == .error { throw .runtime("loadactionset \"\(name)\" failed: \(Self.failure(r, "loadActionSet"))", at: pos) }
    }

    /// `saveresult e casout="name" [caslib="lib"] [replace];` stores a result table as a session table.
    func saveResult(_ e: Expr, _ options: [DictEntry], replace: Bool, at pos: SourcePos) async throws(CASLError) {
        let table = try Self.resultTable(try await eval(e), at: e.pos)
        var name: String?, caslib: String?, replacing = replace
        for o in options {
            let v = try await eval(o.value)
            switch o.key.lowercased() {
            case "casout":
                name = v.stringValue ?? v["name"].stringValue
                caslib = v["caslib"].stringValue ?? caslib
                replacing = v["replace"].boolValue ?? replacing
            case "caslib": caslib = v.stringValue
            case "replace": replacing = v.boolValue ?? (v.intValue.map { $0 != 0 } ?? replacing)
            default: throw .runtime("saveresult has no option '\(o.key)' (use casout=, caslib=, replace)", at: o.pos)
            }
        }
        guard let name, !name.isEmpty else { throw .runtime("saveresult needs casout=\"table name\"", at: pos) }
        do {
            let lib = try await host.saveTable(table, name: name, caslib: caslib, replace: replacing)
            host.output("saveresult: table \(name) saved in caslib \(lib) (\(table.rowCount) rows, \(table.columns.count) columns).")
        } catch {
            throw .runtime("saveresult failed: \(error)", at: pos)
        }
    }

    /// The table a `saveresult` value stands for: a table, or a results dictionary holding exactly one.
    static func resultTable(_ v: Value, at pos: SourcePos) throws(CASLError) -> DataTable {
        if case .table(let t) = v { return t }
        if case .dict(let d) = v {
            let tables = d.compactMap { $0.value.tableValue }
            if tables.count == 1 { return tables[0] }
            if tables.count > 1 {
                throw .runtime("the results hold \(tables.count) tables; name one (saveresult r.\(d.first { $0.value.tableValue != nil }!.key) …)", at: pos)
            }
        }
        throw .runtime("saveresult needs a result table, got \(Operators.article(v))", at: pos)
    }
}
