import CASCore
import Foundation

/// A DATA step program in caslite's subset (docs/datastep.md): one step,
/// `data OUT; set IN1 IN2 …; <statements> run;`. The statements run in order, each over every row at
/// once, which is what the DATA step's row-by-row execution gives for this subset (no `retain`, no
/// `output`, no `by`): `name = expression;` (the where language, docs/where.md), `where expression;`
/// (filters what SET reads), `if expression;` (keeps the rows where it is true), `if expression then
/// delete;`, `keep`, `drop` and `rename old=new` (applied to the output, wherever they stand),
/// `length …;` (accepted and ignored, as in computedVarsProgram) and `call streaminit(n);`. Every
/// other statement is refused with its number and text.
struct DataStepProgram: Sendable {
    enum Step: Sendable {
        case assign(name: String, expression: String)
        case keepIf(String)
        case deleteIf(String)
        case streaminit(Int)
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

    /// `if cond;` or `if cond then delete;`.
    static func ifStep(_ rest: String, _ n: Int, _ text: String) throws(ActionError) -> Step {
        guard let then = rest.range(of: #"\bthen\b"#, options: [.regularExpression, .caseInsensitive, .backwards]) else { return .keepIf(rest) }
        let action = rest[then.upperBound...].trimmingCharacters(in: .whitespaces).lowercased()
        guard action == "delete" else { throw unsupported(n, text, "IF supports `if condition;` and `if condition then delete;`") }
        return .deleteIf(String(rest[..<then.lowerBound]))
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
        ActionError(.parameterValue, "code: statement \(n) (\(Names.quote(String(text.prefix(200))))) is not supported\(why.map { ": " + $0 } ?? ""). caslite's DATA step runs SET, WHERE, assignments, `if condition;`, `if condition then delete;`, KEEP, DROP, RENAME, LENGTH (ignored) and CALL STREAMINIT (docs/datastep.md).",
                    parameter: "code")
    }
}
