import CASCore
import Foundation

/// A DATA step program in caslite's subset (docs/datastep.md): one step,
/// `data OUT; set IN1 IN2 …; <statements> run;` or `data OUT; merge A(in=a) B(in=b); by KEY; … run;`.
/// Executable statements form a tree — assignments, `delete`, subsetting `if`, `if … then …; else …;`
/// (nested, with `do; … end;` blocks) — that runs over all rows at once, each statement on the rows its
/// conditions select (`DataStepRun`); without row-to-row state (`retain` values, `output`, `first.`,
/// `lag`) that is what the DATA step's row-by-row execution gives. Declarations apply wherever they
/// stand: `where` (filters what SET reads), `keep`, `drop`, `rename`, `length` (ignored), `retain` of
/// names only (the columns' order). Every other statement is refused with its number and text.
struct DataStepProgram: Sendable {
    indirect enum Node: Sendable {
        case assign(name: String, expression: String, number: Int, text: String)
        case delete
        case keepIf(condition: String, number: Int)
        case streaminit(Int)
        case when(condition: String, number: Int, then: Node, otherwise: Node?)
        case block([Node])
    }

    var output: DataSetName
    var inputs: [DataSetName]
    /// MERGE instead of SET, with its BY variables.
    var merge = false
    var by: [String] = []
    var filters: [String] = []
    var body: [Node] = []
    var keep: [String] = []
    var drop: [String] = []
    var rename: [(from: String, to: String)] = []
    /// `retain a b c;`: these columns first, in this order.
    var order: [String] = []

    /// Statements one program may have.
    static let maxStatements = ComputedVars.maxStatements
    /// IF and DO levels one statement may nest.
    static let maxNesting = 100

    init(_ code: String) throws(ActionError) {
        let all = ComputedVars.statements(code).map(ComputedVars.trimmed)
        guard all.count <= Self.maxStatements else {
            throw ActionError(.parameterValue, "code has \(all.count) statements; at most \(Self.maxStatements) are run.", parameter: "code")
        }
        var numbered = all.enumerated().map { Statement(number: $0.offset + 1, text: $0.element) }.filter { !$0.text.isEmpty }
        guard let first = numbered.first, Self.keyword(first.text) == "data" else {
            throw ActionError(.parameterValue, "code must begin with a DATA statement (`data out; set in; … run;`).", parameter: "code")
        }
        let outs = try DataSetName.list(String(first.text.dropFirst(4)), statement: first.text)
        guard outs.count == 1, let out = outs.first else {
            throw ActionError(.parameterValue, "code: the DATA statement must name one output table (\(outs.count) given); caslite writes one table per step.",
                              parameter: "code")
        }
        guard out.inFlag == nil, out.rename.isEmpty else {
            throw ActionError(.parameterValue, "code: the data set options in= and rename= are not supported on the DATA statement's output table (use RENAME).",
                              parameter: "code")
        }
        output = out
        numbered.removeFirst()
        guard let end = numbered.firstIndex(where: { Self.keyword($0.text) == "run" }), numbered[end].text.lowercased() == "run" else {
            throw ActionError(.parameterValue, "code: the DATA step must end with `run;`.", parameter: "code")
        }
        if let extra = numbered[(end + 1)...].first { throw Self.unsupported(extra, "caslite runs one DATA step per call") }
        var stream = Array(numbered[..<end])[...]
        var sources: [DataSetName]?
        while let s = stream.first {
            let word = Self.keyword(s.text), rest = Self.after(word, in: s.text)
            switch word {
            case "set", "merge":
                guard sources == nil else { throw Self.unsupported(s, "one SET or MERGE statement per step") }
                let list = try DataSetName.list(rest, statement: s.text)
                if list.isEmpty { throw Self.unsupported(s, "\(word.uppercased()) names the tables to read") }
                if word == "set", list.contains(where: { $0.inFlag != nil }) { throw Self.unsupported(s, "in= is read with MERGE") }
                sources = list
                merge = word == "merge"
            case "by": by = Self.names(rest)
            case "where": filters.append(rest)
            case "keep": keep += Self.names(rest)
            case "drop": drop += Self.names(rest)
            case "rename": rename += try Self.renames(rest, s)
            case "length": break
            case "retain":
                let names = Self.names(rest)
                guard names.allSatisfy({ n in n.first.map { $0.isLetter || $0 == "_" } == true && n.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
                    throw Self.unsupported(s, "RETAIN with initial values (caslite's RETAIN only orders columns)")
                }
                order += names
            default:
                body.append(try Self.node(&stream))
                continue
            }
            stream.removeFirst()
        }
        guard let sources else { throw ActionError(.parameterValue, "code: the DATA step needs a SET or MERGE statement naming the tables to read.", parameter: "code") }
        if merge && by.isEmpty { throw ActionError(.parameterValue, "code: MERGE needs a BY statement (caslite merges by key).", parameter: "code") }
        if !merge && !by.isEmpty { throw ActionError(.parameterValue, "code: BY with SET (first. and last. variables) is not supported.", parameter: "code") }
        inputs = sources
    }

    struct Statement: Sendable {
        var number: Int
        var text: String
    }

    /// One executable statement from the front of `stream` (with the ELSE and the DO block that belong to it).
    static func node(_ stream: inout ArraySlice<Statement>, depth: Int = 0) throws(ActionError) -> Node {
        let s = stream.removeFirst()
        return try inline(s.text, s, &stream, depth: depth)
    }

    /// `text` (a statement, or what follows THEN / ELSE) as a node; a DO block takes the statements up to its END.
    static func inline(_ text: String, _ s: Statement, _ stream: inout ArraySlice<Statement>, depth: Int) throws(ActionError) -> Node {
        // the parser and the run recurse once per level: a bound keeps a hostile program from exhausting the stack
        guard depth < maxNesting else { throw unsupported(s, "more than \(maxNesting) nested IF / DO levels") }
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let word = keyword(t)
        switch word {
        case "if":
            let rest = after("if", in: t)
            guard let then = thenKeyword(rest) else { return .keepIf(condition: rest, number: s.number) }
            let thenPart = try inline(String(rest[then.upperBound...]), s, &stream, depth: depth + 1)
            var otherwise: Node?
            if let next = stream.first, keyword(next.text) == "else" {
                stream.removeFirst()
                otherwise = try inline(after("else", in: next.text), next, &stream, depth: depth + 1)
            }
            return .when(condition: String(rest[..<then.lowerBound]), number: s.number, then: thenPart, otherwise: otherwise)
        case "do":
            guard t.lowercased() == "do" else { throw unsupported(s, "DO loops (caslite runs `do; … end;` blocks)") }
            var nodes: [Node] = []
            while let next = stream.first, keyword(next.text) != "end" {
                if ["set", "merge", "by", "where", "keep", "drop", "rename", "retain", "length"].contains(keyword(next.text)) {
                    throw unsupported(next, "declarations inside a DO block")
                }
                nodes.append(try node(&stream, depth: depth + 1))
            }
            guard stream.first != nil else { throw unsupported(s, "DO without its END") }
            stream.removeFirst()
            return .block(nodes)
        case "delete" where t.lowercased() == "delete": return .delete
        case "else": throw unsupported(s, "ELSE must follow an `if … then …;` statement")
        case "call":
            guard let seed = ComputedVars.streaminit(t.lowercased()) else { throw unsupported(s, nil) }
            return .streaminit(seed)
        default:
            guard let (name, expr) = ComputedVars.assignment(t) else { throw unsupported(s, nil) }
            return .assign(name: name, expression: expr, number: s.number, text: s.text)
        }
    }

    static func renames(_ rest: String, _ s: Statement) throws(ActionError) -> [(from: String, to: String)] {
        let compact = rest.replacingOccurrences(of: #"\s*=\s*"#, with: "=", options: .regularExpression)
        return try compact.split(whereSeparator: \.isWhitespace).map { pair throws(ActionError) in
            let p = pair.split(separator: "=").map(String.init)
            guard p.count == 2 else { throw unsupported(s, "RENAME takes old=new pairs") }
            return (p[0], p[1])
        }
    }

    static func names(_ rest: String) -> [String] { rest.split(whereSeparator: \.isWhitespace).map { DataSetName.nameLiteral(String($0)) } }

    /// The statement's first word, lower-cased (`if`, `set`, …; `x` for `x = 1`).
    static func keyword(_ text: String) -> String {
        String(text.drop { $0.isWhitespace }.prefix { $0.isLetter || $0.isNumber || $0 == "_" }).lowercased()
    }

    /// `text` without its first word.
    static func after(_ word: String, in text: String) -> String {
        String(text.drop { $0.isWhitespace }.dropFirst(word.count)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The first `then` outside quotes and parentheses.
    static func thenKeyword(_ text: String) -> Range<String.Index>? {
        let s = Substring(text)
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        let found = DataSetName.firstOutsideQuotes(s, from: s.startIndex) { i, depth in
            guard depth == 0, i == s.startIndex || !isWord(s[s.index(before: i)]),
                  let r = s.range(of: "then", options: [.caseInsensitive, .anchored], range: i..<s.endIndex) else { return false }
            return r.upperBound == s.endIndex || !isWord(s[r.upperBound])
        }
        return found.map { $0..<text.index($0, offsetBy: 4) }
    }

    static func unsupported(_ s: Statement, _ why: String?) -> ActionError {
        ActionError(.parameterValue, "code: statement \(s.number) (\(Names.quote(String(s.text.prefix(200))))) is not supported\(why.map { ": " + $0 } ?? ""). caslite's DATA step runs SET or MERGE … BY, WHERE, assignments, IF (subsetting, or THEN / ELSE with an assignment, DELETE or a DO block), KEEP, DROP, RENAME, RETAIN of names, LENGTH (ignored) and CALL STREAMINIT (docs/datastep.md).",
                    parameter: "code")
    }
}
