import CASCore
import CASWire
import Foundation

/// The subset of SAS FCMP that DLPy's learning-rate schedules use:
/// `function name(a, b, …); x = expr; …; return(expr); endsub;` — assignments and a return, with
/// expressions in caslite's where language (arithmetic, comparisons, floor/abs/min/max/…,
/// docs/where.md) over the arguments and earlier variables. Arrays, loops and `if` are not supported.
/// `fcmpact.addRoutines` compiles functions into a table; deepLearn's `fcmpLearningRate` looks them up.
public struct FCMPFunction: Sendable {
    enum Statement: Sendable {
        case assign(String, WhereExpression)
        case ret(WhereExpression)
    }
    /// The function's name, as written.
    public var name: String
    /// The argument names, in order.
    public var arguments: [String]
    var statements: [Statement]
    var source: String

    /// Every function in `code`. Errors name the function and the statement.
    static func parse(_ code: String, parameter: String) throws(ActionError) -> [FCMPFunction] {
        let pattern = #"function\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*(\$\s*)?;(.*?)endsub\s*;"#
        let re = try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive, .dotMatchesLineSeparators])
        let ns = code as NSString
        let matches = re.matches(in: code, range: NSRange(location: 0, length: ns.length))
        guard !matches.isEmpty else {
            throw ActionError(.parameterValue, "\(parameter) holds no `function name(args); …; endsub;` definition.", parameter: parameter)
        }
        return try matches.map { (m) throws(ActionError) -> FCMPFunction in
            let name = ns.substring(with: m.range(at: 1))
            let args = ns.substring(with: m.range(at: 2)).split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .map { $0.replacingOccurrences(of: "$", with: "").trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let body = ns.substring(with: m.range(at: 4))
            var stmts: [Statement] = []
            for (i, raw) in body.split(separator: ";").enumerated() {
                let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if s.isEmpty { continue }
                let lower = s.lowercased()
                func expr(_ text: String) throws(ActionError) -> WhereExpression {
                    do { return try WhereExpression(text) } catch {
                        throw ActionError(.parameterValue, "\(parameter): function \(name), statement \(i + 1) ('\(s)'): \(error)", parameter: parameter)
                    }
                }
                if lower.range(of: #"^return(\s|\()"#, options: .regularExpression) != nil {
                    stmts.append(.ret(try expr(String(s.dropFirst("return".count)))))
                } else if let (lhs, rhs) = ComputedVars.assignment(s) {
                    stmts.append(.assign(lhs, try expr(rhs)))
                } else {
                    throw ActionError(.parameterValue, "\(parameter): function \(name), statement \(i + 1) ('\(s)') is not supported: caslite's FCMP subset has `name = expression;` and `return(expression);`.",
                                      parameter: parameter)
                }
            }
            guard stmts.contains(where: { if case .ret = $0 { true } else { false } }) else {
                throw ActionError(.parameterValue, "\(parameter): function \(name) has no return statement.", parameter: parameter)
            }
            return FCMPFunction(name: name, arguments: args, statements: stmts, source: ns.substring(with: m.range))
        }
    }

    /// Calls the function with arguments bound by name (missing ones are 0). Nil when an expression
    /// fails (an unknown variable, a string result).
    public func call(_ values: [String: Double]) -> Double? {
        var vars: [(String, Double)] = arguments.map { a in (a, values.first { $0.key.lowercased() == a.lowercased() }?.value ?? 0) }
        func eval(_ e: WhereExpression) -> Double? {
            let t = DataTable(name: "fcmp", columns: vars.map { Column(name: $0.0, data: .double([$0.1])) })
            guard let b = try? e.bindValue(to: t) else { return nil }
            return b.value(row: 0).doubleValue
        }
        for s in statements {
            switch s {
            case .assign(let n, let e):
                guard let v = eval(e) else { return nil }
                if let k = vars.firstIndex(where: { $0.0.lowercased() == n.lowercased() }) { vars[k].1 = v } else { vars.append((n, v)) }
            case .ret(let e):
                return eval(e)
            }
        }
        return nil
    }

    /// The function table fcmpact.addRoutines writes: one row per function.
    static func table(_ fs: [FCMPFunction], name: String, package: String) -> DataTable {
        .result(name, label: "FCMP functions", columns: [("_funcname_", .varchar), ("_package_", .varchar), ("_arguments_", .varchar), ("_source_", .varchar)],
                rows: fs.map { [.string($0.name), .string(package), .string($0.arguments.joined(separator: ",")), .string($0.source)] })
    }

    /// Looks `name` up in the session's cmplib tables (sessionProp.setSessOpt cmplib=…).
    public static func lookup(_ name: String, _ ctx: ActionContext, parameter: String) async throws(ActionError) -> FCMPFunction {
        let tables = await ctx.session.cmplib
        guard !tables.isEmpty else {
            throw ActionError(.parameterValue, "\(parameter)='\(name)': no FCMP function tables are set; compile the function with fcmpact.addRoutines and name its table with sessionProp.setSessOpt cmplib=\"caslib.table\".",
                              parameter: parameter)
        }
        for spec in tables {
            let parts = spec.split(separator: ".", maxSplits: 1).map(String.init)
            let caslib = parts.count == 2 ? parts[0] : nil  // "CASUSER" resolves to the user's personal caslib
            let ref = TableRef(name: parts.last ?? spec, caslib: caslib)
            guard let t = try? await ctx.table(ref, parameter: parameter).data,
                  let names = t.column("_funcname_"), let src = t.column("_source_") else { continue }
            for r in 0..<t.rowCount where names.data.value(at: r).stringValue?.lowercased() == name.lowercased() {
                if let code = src.data.value(at: r).stringValue, let f = try? parse(code, parameter: parameter).first { return f }
            }
        }
        throw ActionError(.notFound, "\(parameter)='\(name)': no such function in the FCMP tables \(tables.joined(separator: ", ")).", parameter: parameter)
    }
}
