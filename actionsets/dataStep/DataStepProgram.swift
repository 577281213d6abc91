import CASCore
import Foundation

/// A DATA step program in caslite's subset (docs/datastep.md): one step,
/// `data OUT; set IN1 IN2 …; <statements> run;`. The statements run in order, each over every row at
/// once, which is what the DATA step's row-by-row execution gives for this subset (no `retain`, no
/// `output`, no `by`): `name = expression;` (the where language, docs/where.md), `where expression;`
/// (filters what SET reads), `if expression;` (keeps the rows where it is true), `if expression then
/// delete;` and `if expression then name = expression;` with `else …;` / `else if …;` after them, `keep`, `drop` and `rename old=new` (applied to the output, wherever they stand),
/// `length …;` (accepted and ignored, as in computedVarsProgram) and `call streaminit(n);`. Every
/// other statement is refused with its number and text.
struct DataStepProgram: Sendable {
    enum Step: Sendable {
        case assign(name: String, expression: String)
        case keepIf(String)
        case streaminit(Int)
        /// `if condition then action;` — `delete` or an assignment, on the rows where the condition is true.
        case when(condition: String, then: Action)
        /// `else action;` / `else if condition then action;` — on the rows where the IF before it was not true.
        case otherwise(condition: String?, then: Action)
    }

    /// What `then` or `else` does.
    enum Action: Sendable {
        case delete
        case assign(name: String, expression: String)
    }

    var output: DataSetName
    var inputs: [DataSetName]
    var filters: [String] = []
    /// Statements in order: number (1-based, counting every `;`-separated statement), text, meaning.
    var steps: [(number: Int, text: String, step: Step)] = []
    var keep: [String] = []
    var drop: [String] = []
    var rename: [(from: String, to: String)] = []

    /// Statements one program may have.
    static let maxStatements = ComputedVars.maxStatements

    init(_ code: String) throws(ActionError) {
        let all = ComputedVars.statements(code).map(ComputedVars.trimmed)
        guard all.count <= Self.maxStatements else {
            throw ActionError(.parameterValue, "code has \(all.count) statements; at most \(Self.maxStatements) are run.", parameter: "code")
        }
        var numbered = all.enumerated().map { (number: $0.offset + 1, text: $0.element) }.filter { !$0.text.isEmpty }
        guard let first = numbered.first, Self.keyword(first.text) == "data" else {
            throw ActionError(.parameterValue, "code must begin with a DATA statement (`data out; set in; … run;`).", parameter: "code")
        }
        let outs = try DataSetName.list(String(first.text.dropFirst(4)), statement: first.text)
        guard outs.count == 1, let out = outs.first else {
            throw ActionError(.parameterValue, "code: the DATA statement must name one output table (\(outs.count) given); caslite writes one table per step.",
                              parameter: "code")
        }
        output = out
        numbered.removeFirst()
        guard let end = numbered.firstIndex(where: { Self.keyword($0.text) == "run" }), numbered[end].text.lowercased() == "run" else {
            throw ActionError(.parameterValue, "code: the DATA step must end with `run;`.", parameter: "code")
        }
        if let extra = numbered[(end + 1)...].first {
            throw Self.unsupported(extra.number, extra.text, "caslite runs one DATA step per call")
        }
        var sets: [DataSetName]?
        for (n, text) in numbered[..<end] {
            let word = Self.keyword(text), rest = String(text.dropFirst(word.count)).trimmingCharacters(in: .whitespaces)
            switch word {
            case "set":
                guard sets == nil else { throw Self.unsupported(n, text, "one SET statement per step") }
                sets = try DataSetName.list(rest, statement: text)
                if sets!.isEmpty { throw Self.unsupported(n, text, "SET names the tables to read") }
            case "where": filters.append(rest)
            case "keep": keep += Self.names(rest)
            case "drop": drop += Self.names(rest)
            case "rename": rename += try Self.renames(rest, n, text)
            case "length": continue
            case "if": steps.append((n, text, try Self.ifStep(rest, n, text)))
            case "else":
                guard let previous = steps.last?.step, Self.isConditional(previous) else {
                    throw Self.unsupported(n, text, "ELSE must follow an `if … then …;` statement")
                }
                if Self.keyword(rest) == "if" {
                    guard case .when(let c, let a) = try Self.ifStep(String(rest.dropFirst(2)), n, text) else {
                        throw Self.unsupported(n, text, "`else if` needs `then`")
                    }
                    steps.append((n, text, .otherwise(condition: c, then: a)))
                } else {
                    steps.append((n, text, .otherwise(condition: nil, then: try Self.action(rest, n, text))))
                }
            case "call":
                guard let seed = ComputedVars.streaminit(text.lowercased()) else { throw Self.unsupported(n, text, nil) }
                steps.append((n, text, .streaminit(seed)))
            default:
                guard let (name, expr) = ComputedVars.assignment(text) else { throw Self.unsupported(n, text, nil) }
                steps.append((n, text, .assign(name: name, expression: expr)))
            }
        }
        guard let sets else { throw ActionError(.parameterValue, "code: the DATA step needs a SET statement naming the tables to read.", parameter: "code") }
        inputs = sets
    }

    /// `if cond;` or `if cond then delete;` / `if cond then name = expression;`.
    static func ifStep(_ rest: String, _ n: Int, _ text: String) throws(ActionError) -> Step {
        guard let then = thenKeyword(rest) else { return .keepIf(rest) }
        return .when(condition: String(rest[..<then.lowerBound]), then: try action(String(rest[then.upperBound...]), n, text))
    }

    /// `delete` or `name = expression`.
    static func action(_ text: String, _ n: Int, _ statement: String) throws(ActionError) -> Action {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased() == "delete" { return .delete }
        guard let (name, expr) = ComputedVars.assignment(t) else {
            throw unsupported(n, statement, "THEN and ELSE take `delete` or `name = expression` (no DO blocks)")
        }
        return .assign(name: name, expression: expr)
    }

    static func isConditional(_ s: Step) -> Bool {
        switch s {
        case .when, .otherwise: true
        default: false
        }
    }

    /// The first `then` outside quotes and parentheses.
    static func thenKeyword(_ s: String) -> Range<String.Index>? {
        var quote: Character?, depth = 0, i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            if let q = quote { if ch == q { quote = nil } } else if ch == "'" || ch == "\"" { quote = ch } else if ch == "(" { depth += 1 } else if ch == ")" {
                depth -= 1
            } else if depth == 0, let r = s.range(of: "then", options: [.caseInsensitive, .anchored], range: i..<s.endIndex),
                      i == s.startIndex || !(s[s.index(before: i)].isLetter || s[s.index(before: i)].isNumber || s[s.index(before: i)] == "_"),
                      r.upperBound == s.endIndex || !(s[r.upperBound].isLetter || s[r.upperBound].isNumber || s[r.upperBound] == "_") {
                return r
            }
            i = s.index(after: i)
        }
        return nil
    }

    static func renames(_ rest: String, _ n: Int, _ text: String) throws(ActionError) -> [(from: String, to: String)] {
        let compact = rest.replacingOccurrences(of: #"\s*=\s*"#, with: "=", options: .regularExpression)
        return try compact.split(whereSeparator: \.isWhitespace).map { pair throws(ActionError) in
            let p = pair.split(separator: "=").map(String.init)
            guard p.count == 2 else { throw unsupported(n, text, "RENAME takes old=new pairs") }
            return (p[0], p[1])
        }
    }

    static func names(_ rest: String) -> [String] { rest.split(whereSeparator: \.isWhitespace).map(String.init) }

    /// The statement's first word, lower-cased (`if`, `set`, …; `x` for `x = 1`).
    static func keyword(_ text: String) -> String {
        String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" }).lowercased()
    }

    static func unsupported(_ n: Int, _ text: String, _ why: String?) -> ActionError {
        ActionError(.parameterValue, "code: statement \(n) (\(Names.quote(String(text.prefix(200))))) is not supported\(why.map { ": " + $0 } ?? ""). caslite's DATA step runs SET, WHERE, assignments, `if condition;`, `if condition then delete | name = expression;` with ELSE, KEEP, DROP, RENAME, LENGTH (ignored) and CALL STREAMINIT (docs/datastep.md).",
                    parameter: "code")
    }
}
