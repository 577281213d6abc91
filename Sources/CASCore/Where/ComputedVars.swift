import CASWire
import CheckedSize
import Foundation

/// `computedVars` + `computedVarsProgram` of a table reference: columns computed before `where` and
/// `vars` apply. The program is a subset of CAS's DATA step code: statements separated by `;`,
/// each either `name = expression;` (the expression in the where language, docs/where.md, which may
/// use the table's columns and columns assigned by earlier statements; a condition gives 1 or 0) or
/// a `length …;` declaration (accepted and ignored: a column's type follows its expression). DATA
/// step habits DLPy relies on are kept: `call streaminit(seed);` seeds `rand("UNIFORM")` anywhere in an
/// expression (uniform numbers in [0, 1) from caslite's seeded generator; seed 0 without streaminit),
/// `put(x, z10.)` takes a bare format, and a quoted number compared with a numeric column is read as a
/// number (`_id_ = '10'`). Anything else is refused with the statement's number and text.
///
/// Bounded work: a computed string may be at most `Limits.maxComputedString` characters (SAS's
/// longest character value), a program at most `maxStatements` statements, and rows × statements at
/// most `maxSteps`; each is refused with a message naming the limit.
public enum ComputedVars {
    /// Statements of one program.
    public static let maxStatements = 10_000
    /// Statement evaluations (rows × assignments) of one program run.
    public static let maxSteps = 1 << 31

    /// `charge` is told the bytes of the computed cells as they are made (a few thousand rows at a
    /// time), so the session's memory budget refuses a program before it fills the machine.
    public static func apply(_ program: String, declared: [String], to table: DataTable, parameter: String,
                             charge: ((Int) throws(ActionError) -> Void)? = nil) throws(ActionError) -> DataTable {
        var t = table
        var assigned: [String] = []
        var rng = CASRandom(seed: 0)
        let all = statements(program)
        guard all.count <= maxStatements else {
            throw ActionError(.parameterValue, "\(parameter).computedVarsProgram has \(all.count) statements; at most \(maxStatements) are run.",
                              parameter: "\(parameter).computedVarsProgram")
        }
        guard t.rowCount == 0 || all.count <= maxSteps / t.rowCount else {
            throw ActionError(.parameterValue, "\(parameter).computedVarsProgram would run \(all.count) statements on \(t.rowCount) rows; at most \(Limits.readable(maxSteps)) statement evaluations are allowed.",
                              parameter: "\(parameter).computedVarsProgram")
        }
        for (i, raw) in all.enumerated() {
            let stmt = trimmed(raw)
            if stmt.isEmpty { continue }
            let lower = stmt.lowercased()
            if lower.hasPrefix("length"), lower.dropFirst(6).first?.isWhitespace == true,
               lower.dropFirst(6).drop(while: { $0.isWhitespace }).first != "=" { continue }  // `length x $ 8;`, not `length = …`
            if let seed = streaminit(lower) { rng = CASRandom(seed: seed); continue }
            guard let (name, expr) = assignment(stmt) else {
                throw ActionError(.parameterValue, "\(parameter).computedVarsProgram statement \(i + 1) (\(Names.quote(stmt))) is not supported: caslite runs `name = expression;` assignments (docs/where.md), `call streaminit(seed);` and ignores `length` statements.",
                                  parameter: "\(parameter).computedVarsProgram")
            }
            try assign(name, expr, statement: stmt, to: &t, rng: &rng, label: "\(parameter).computedVarsProgram statement \(i + 1)",
                       parameter: "\(parameter).computedVarsProgram", charge: charge)
            assigned.append(name.lowercased())
        }
        for (i, n) in declared.enumerated() where !assigned.contains(n.lowercased()) && t.column(n) == nil {
            throw ActionError(.parameterValue, "\(parameter).computedVars[\(i + 1)] '\(n)' is not assigned by computedVarsProgram.",
                              parameter: "\(parameter).computedVars[\(i + 1)]")
        }
        return t
    }

    /// Runs one `name = expression` statement (`statement` is its text, for errors) over every row of `t`,
    /// adding or replacing the column `name`; `rand("UNIFORM")` draws from `rng`. Errors begin with
    /// `label` ("table.computedVarsProgram statement 3") and name `parameter`. Also DATA step's (dataStep.runCode).
    public static func assign(_ name: String, _ expr: String, statement stmt: String, to t: inout DataTable, rng: inout CASRandom,
                              label: String, parameter: String, charge: ((Int) throws(ActionError) -> Void)? = nil) throws(ActionError) {
        let data: ColumnData
        // rand("UNIFORM") anywhere in the expression: a hidden column of seeded uniforms per call
        var withRand = t, text = expr, k = 0
        while let r = text.range(of: randUniform, options: [.regularExpression, .caseInsensitive]) {
            let col = "__rand_\(k)__"
            withRand.columns.append(Column(name: col, data: .double((0..<t.rowCount).map { _ in Double(rng.next() >> 11) * 0x1p-53 })))
            text.replaceSubrange(r, with: col)
            k += 1
        }
        text = quotingFormats(text)
        let bound: BoundWhere
        do { bound = try bind(text, to: withRand) } catch {
            throw ActionError(.parameterValue, "\(label) (\(Names.quote(stmt))): \(error)",
                              parameter: parameter)
        }
        try charge?(t.rowCount &* 16)   // the cells themselves (a double, a string's or blob's reference)
        switch bound.resultType {
        case .varchar:
            var cells: [String?] = []
            cells.reserveCapacity(t.rowCount)
            var pending = 0
            for r in 0..<t.rowCount {
                let v = bound.value(row: r).stringValue
                if let v, v.utf8.count > Limits.maxComputedString {
                    throw ActionError(.parameterValue, "\(label) ('\(stmt.prefix(80))') makes a string of \(v.utf8.count) characters in row \(r + 1); a computed string may be at most \(Limits.maxComputedString) characters.",
                                      parameter: parameter)
                }
                cells.append(v)
                pending += v?.utf8.count ?? 0
                if pending > 1 << 20 { try charge?(pending); pending = 0 }
            }
            try charge?(pending)
            data = .varchar(cells)
        case .varbinary: data = .varbinary((0..<t.rowCount).map { bound.value(row: $0).blobValue })
        default: data = .double((0..<t.rowCount).map { bound.value(row: $0).doubleValue ?? .nan })
        }
        replace(&t, Column(name: name, data: data))
    }

    /// `rand("UNIFORM")` in an expression's text (a regular expression, case-insensitive).
    public static let randUniform = #"rand\s*\(\s*(["'])uniform\1\s*\)"#

    /// `put(x, z10.)` with its bare format quoted, so the where language reads a string literal.
    public static func quotingFormats(_ expr: String) -> String {
        var text = expr
        while true {  // nested put(put(x, z10.), $char10.): innermost first; the first argument has no top-level comma
            let quoted = text.replacingOccurrences(of: #"(?i)(put\s*\((?:[^(),;]|\([^()]*\))+,\s*)(\$?[A-Za-z]*[0-9]*\.[0-9]*)(\s*\))"#, with: "$1'$2'$3",
                                                   options: .regularExpression)
            if quoted == text { return text }
            text = quoted
        }
    }

    static func replace(_ t: inout DataTable, _ column: Column) {
        if let k = t.columns.firstIndex(where: { $0.name.lowercased() == column.name.lowercased() }) { t.columns[k] = column } else { t.columns.append(column) }
    }

    /// Binds an expression; when it compares a number with a quoted number (DATA step code such as
    /// `_id_ = '10'`), binds it again with the quotes of numeric literals removed.
    /// With `slots`, the DATA step's variables are read before the table's columns.
    public static func bind(_ expr: String, to t: DataTable, slots: WhereSlots? = nil) throws(WhereError) -> BoundWhere {
        do { return try WhereExpression(expr).bindValue(to: t, slots: slots) } catch {
            guard error.message.contains("cannot compare"), error.message.contains("(a number)") else { throw error }
            // only quoted numbers that are an operand of a comparison (`_id_ = '10'`, `'10' = x`)
            let op = #"(=|\^=|~=|!=|<>|<=|>=|<|>|\b(?:eq|ne|lt|le|gt|ge)\b)"#
            let unquoted = expr
                .replacingOccurrences(of: op + #"\s*(['"])(-?[0-9]+(?:\.[0-9]+)?)\2"#, with: "$1 $3", options: [.regularExpression, .caseInsensitive])
                .replacingOccurrences(of: #"(['"])(-?[0-9]+(?:\.[0-9]+)?)\1\s*"# + op, with: "$2 $3", options: [.regularExpression, .caseInsensitive])
            guard unquoted != expr, let b = try? WhereExpression(unquoted).bindValue(to: t, slots: slots) else { throw error }
            return b
        }
    }

    /// `call streaminit(n)` → n.
    public static func streaminit(_ lower: String) -> Int? {
        let compact = lower.filter { !$0.isWhitespace }
        guard compact.hasPrefix("callstreaminit("), compact.hasSuffix(")") else { return nil }
        return Int(compact.dropFirst("callstreaminit(".count).dropLast())
    }


    public static func trimmed(_ s: String) -> String {
        String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// One statement of a program and the line (from 1) it starts on.
    public struct SourceStatement: Sendable {
        public var text: String
        public var line: Int
    }

    /// Splits on `;` outside quotes; `/* … */` comments count as a blank. `unclosedComment` is the line of a
    /// comment that never closes (everything after it is comment).
    public static func split(_ program: String) -> (statements: [SourceStatement], unclosedComment: Int?) {
        var out: [SourceStatement] = [], cur = "", quote: Character?, line = 1, start = 1, blank = true
        var rest = Substring(program)
        while let ch = rest.popFirst() {
            if ch == "\n" { line += 1 }
            if blank && !ch.isWhitespace && ch != ";" { start = line; blank = false }
            if let q = quote {
                cur.append(ch)
                if ch == q { quote = nil }
            } else if ch == "'" || ch == "\"" {
                quote = ch
                cur.append(ch)
            } else if ch == "/" && rest.first == "*" {
                guard let end = rest.dropFirst().range(of: "*/") else {
                    out.append(SourceStatement(text: cur, line: start))
                    return (out, line)
                }
                line += rest[..<end.lowerBound].count { $0 == "\n" }
                rest = rest[end.upperBound...]
                cur.append(" ")
            } else if ch == ";" {
                out.append(SourceStatement(text: cur, line: start))
                cur = ""
                blank = true
            } else {
                cur.append(ch)
            }
        }
        out.append(SourceStatement(text: cur, line: start))
        return (out, nil)
    }

    /// The statements' texts (`split` without the lines).
    public static func statements(_ program: String) -> [String] { split(program).statements.map(\.text) }

    /// `name = expression` (not `==`, `<=`, `>=`, `^=`): the name and the expression text. Also FCMP's.
    public static func assignment(_ stmt: String) -> (name: String, expression: String)? {
        guard let eq = stmt.firstIndex(of: "=") else { return nil }
        let name = trimmed(String(stmt[..<eq]))
        let rest = String(stmt[stmt.index(after: eq)...])
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic,
              name.unicodeScalars.allSatisfy({ $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }),
              !rest.hasPrefix("="), !trimmed(rest).isEmpty else { return nil }
        return (name, rest)
    }
}
